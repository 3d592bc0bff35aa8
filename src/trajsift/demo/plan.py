"""Which trajectories the demo holds: one row per run (task, intended label, native format)."""

from __future__ import annotations

import trajsift.demo.scenarios as scenarios
from trajsift.demo.play import play
from trajsift.demo.repos import REPOS
from trajsift.demo.runs import Run
from trajsift.demo.scenarios import Scenario
from trajsift.demo.specs import SPECS, TaskSpec

SWE, MINI, OPENHANDS, CHAT = "swe-agent", "mini-swe-agent", "openhands", "chat"
MODELS = ("demo-model-a", "demo-model-b", "demo-model-c")
TEMPERATURES = (0.0, 0.2, 0.7, 1.0)

LABELS = (
    "good",
    "incorrect",
    "incomplete",
    "incoherent",
    "redundant",
    "non_generalizable",
    "crashed",
    "trivial",
    "stray_file",
)
"""Intended labels. `stray_file`: a correct fix whose patch also adds the agent's reproduce.py."""

# (task repo, behaviour, format); "redundant" paraphrases the task's `good` run (same format, other model).
ROWS: tuple[tuple[str, str, str], ...] = (
    ("textstats", "good", SWE),
    ("textstats", "good_direct", CHAT),
    ("textstats", "redundant", SWE),
    ("textstats", "incorrect", MINI),
    ("textstats", "non_generalizable", CHAT),
    ("textstats", "incomplete", OPENHANDS),
    ("textstats", "incoherent", SWE),
    ("textstats", "crashed", MINI),
    ("textstats", "trivial", OPENHANDS),
    ("intervals", "good", MINI),
    ("intervals", "good_direct", SWE),
    ("intervals", "redundant", MINI),
    ("intervals", "incorrect", SWE),
    ("intervals", "non_generalizable", MINI),
    ("intervals", "incomplete", SWE),
    ("intervals", "incoherent", OPENHANDS),
    ("intervals", "trivial", CHAT),
    ("intervals", "stray_file", CHAT),
    ("inventory", "good", CHAT),
    ("inventory", "good_direct", MINI),
    ("inventory", "redundant", CHAT),
    ("inventory", "incorrect", CHAT),
    ("inventory", "non_generalizable", SWE),
    ("inventory", "incomplete", MINI),
    ("inventory", "incoherent", CHAT),
    ("inventory", "crashed", CHAT),
    ("inventory", "trivial", OPENHANDS),
    ("inventory", "stray_file", SWE),
    ("dateparse", "good", SWE),
    ("dateparse", "good_direct", CHAT),
    ("dateparse", "redundant", SWE),
    ("dateparse", "incorrect", MINI),
    ("dateparse", "non_generalizable", CHAT),
    ("dateparse", "incomplete", OPENHANDS),
    ("dateparse", "incoherent", MINI),
    ("dateparse", "crashed", SWE),
    ("dateparse", "trivial", OPENHANDS),
    ("dateparse", "stray_file", MINI),
)


def scenario_for(behaviour: str, spec: TaskSpec) -> Scenario:
    builders = {
        "good": lambda: scenarios.good(spec),
        "good_direct": lambda: scenarios.good_direct(spec),
        "redundant": lambda: scenarios.good(spec, variant=1),
        "stray_file": lambda: scenarios.good(spec, keep_repro=True),
        "incorrect": lambda: scenarios.incorrect(spec),
        "non_generalizable": lambda: scenarios.non_generalizable(spec),
        "incomplete": lambda: scenarios.incomplete(spec),
        "incoherent": lambda: scenarios.incoherent(spec),
        "crashed": lambda: scenarios.crashed(spec),
        "trivial": lambda: scenarios.trivial(spec),
    }
    return builders[behaviour]()


def plan_runs() -> list[Run]:
    specs = {spec.repo: spec for spec in SPECS}
    runs: list[Run] = []
    good_run: dict[str, int] = {}
    for number, (repo, behaviour, fmt) in enumerate(ROWS, start=1):
        spec = specs[repo]
        scenario = scenario_for(behaviour, spec)
        label = "good" if behaviour == "good_direct" else behaviour
        run = Run(
            number=number,
            label=label,
            spec=spec,
            fmt=fmt,
            model=MODELS[number % len(MODELS)],
            temperature=TEMPERATURES[(number // len(MODELS)) % len(TEMPERATURES)],
            scenario=scenario,
            replay=play(REPOS[repo], scenario),
            duplicate_of=good_run.get(repo, 0) if behaviour == "redundant" else 0,
        )
        if behaviour == "good":
            good_run[repo] = number
        runs.append(run)
    return runs
