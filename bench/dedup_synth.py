"""Synthetic trajectories sized like the real data, for bench/dedup_speed.py.

8-24 steps, ~80 words of reasoning per step (the real data has ~1,300 words per trajectory), 8 trajectories
per task, 5 % planted near duplicates (paraphrased reasoning plus a repeated step). Chunks are generated
from their start index, so any worker makes the same trajectories.
"""

from __future__ import annotations

import random

import numpy as np

from trajsift.dedup.views import actions_view, thoughts_view
from trajsift.schema import Action, ActionType, Step, TaskRef, Trajectory


def _vocabulary(size: int, seed: int) -> list[str]:
    """Letter-only words (datatrove's text normalisation strips digits)."""
    rng = random.Random(seed)
    return ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(3, 9))) for _ in range(size)]


COMMON = _vocabulary(200, 1)
VOCAB = _vocabulary(30_000, 2)
KINDS = [ActionType.READ, ActionType.SEARCH, ActionType.EDIT, ActionType.RUN_COMMAND, ActionType.RUN_TESTS]


WORDS = np.array(COMMON + VOCAB, dtype=object)
_RANK_P = np.arange(1, len(COMMON) + 1) ** -1.5 / 2.612375348685488  # Zipf(1.5): k ** -1.5 / zeta(1.5)
_RANK_P[-1] = 1 - _RANK_P[:-1].sum()  # the tail beyond the last rank falls on it
ZIPF_CDF = np.cumsum(_RANK_P)


def _thoughts(rng: np.random.Generator, steps: int, per_step: int = 80) -> list[str]:
    """Half function words (200, Zipf-like), half content words (30,000, uniform)."""
    count = steps * per_step
    common = np.minimum(np.searchsorted(ZIPF_CDF, rng.random(count), side="right"), len(COMMON) - 1)
    content = len(COMMON) + rng.integers(0, len(VOCAB), count)
    words = WORDS[np.where(rng.random(count) < 0.5, common, content)].reshape(steps, per_step)
    return [" ".join(row) for row in words.tolist()]


def _trajectory(index: int, rng: np.random.Generator) -> Trajectory:
    task = index // 8
    files = [f"pkg{task % 997}/mod{(task * 7 + j) % 50}.py" for j in range(4)]
    count = int(rng.integers(8, 25))
    kinds = rng.integers(len(KINDS), size=count).tolist()
    targets = rng.integers(len(files), size=count).tolist()
    steps = []
    for s, (thought, kind, target) in enumerate(zip(_thoughts(rng, count), kinds, targets, strict=True)):
        action = Action(type=KINDS[kind], command=f"{KINDS[kind].value} {files[target]}", target=files[target])
        steps.append(Step(index=s, thought=thought, action=action))
    steps.append(Step(index=len(steps), action=Action(type=ActionType.SUBMIT, command="submit")))
    return Trajectory(id=f"t{index:08d}", task=TaskRef(task_id=f"task{task}"), steps=steps)


def _near_copy(traj: Trajectory, index: int, rng: random.Random) -> Trajectory:
    steps = []
    for step in traj.steps:
        words = [f"{w}s" if rng.random() < 0.15 else w for w in step.thought.split(" ")]
        steps.append(Step(index=step.index, thought=" ".join(words), action=step.action))
    steps.insert(1, steps[0])  # re-run noise: a repeated step
    return Trajectory(id=f"t{index:08d}", task=traj.task, steps=steps)


def synth_chunk(start: int, stop: int) -> list[Trajectory]:
    rng = np.random.default_rng(start)
    prng = random.Random(start)
    out: list[Trajectory] = []
    for i in range(start, stop):
        if out and prng.random() < 0.05:
            out.append(_near_copy(out[prng.randrange(max(0, len(out) - 16), len(out))], i, prng))
        else:
            out.append(_trajectory(i, rng))
    return out


def texts_of(trajs: list[Trajectory]) -> list[str]:
    """The text the peers sign: the actions view and the reasoning view of each trajectory."""
    return [actions_view(t) + "\n" + thoughts_view(t) for t in trajs]
