"""The built-in global checks run through a real stage: exact duplicates and review sampling."""

import pyarrow as pa

from trajsift import annotations as ann
from trajsift.checks.base import CheckContext
from trajsift.checks.exact_dedup import ExactDuplicates, normalise_patch
from trajsift.checks.review_sample import ReviewSample, allocate
from trajsift.rules.tree import compile_rule
from trajsift.rundir import Decision
from trajsift.schema import Action, ActionType, FinalState, Source, Step, TaskRef, Trajectory
from trajsift.stages import Stage


def traj(i, task="t1", commands=("cat a.py", "edit a.py"), patch="diff --git a/a.py b/a.py\n+x\n", **task_fields):
    steps = [Step(index=k, action=Action(type=ActionType.READ, command=c)) for k, c in enumerate(commands)]
    return Trajectory(
        id=f"id{i:03d}",
        source=Source(model=f"m{i % 2}", scaffold="s"),
        task=TaskRef(task_id=task, **task_fields),
        steps=steps,
        final=FinalState(patch=patch),
    )


def run_stage(stage, trajs, scores=None):
    rows = [ann.Annotation(meta=ann.meta_of(t)) for t in trajs]
    for row, extra in zip(rows, scores or [{}] * len(rows), strict=True):
        row.scores.update(extra)
    sigs = stage.annotate(trajs, rows, CheckContext())
    columns = {"trajectory_id": [r.id for r in rows]}
    for name in stage.signature_types():
        columns[name] = [s.get(name) for s in sigs]
    stage.assign(rows, sigs, stage.reduce(pa.table(columns)))
    return rows


def test_exact_duplicates_keep_the_best_by_quality():
    trajs = [traj(1), traj(2), traj(3, commands=("ls",)), traj(4, task="t2")]
    stage = Stage("diversity", checks=[ExactDuplicates()], keep=compile_rule({"no_findings": {}}))
    rows = run_stage(stage, trajs, [{"quality_score": 0.2}, {"quality_score": 0.9}, {}, {}])
    by_id = {r.id: r for r in rows}
    assert by_id["id001"].decision == Decision.DROP and by_id["id001"].reasons == ["exact_duplicate"]
    assert by_id["id001"].scores["diversity.exact.duplicate_of"] == "id002"
    assert by_id["id002"].decision == Decision.KEEP and by_id["id002"].scores["diversity.exact.group_size"] == 2
    assert by_id["id003"].decision == Decision.KEEP  # different actions
    assert by_id["id004"].decision == Decision.KEEP  # same actions on another task is not a duplicate
    assert by_id["id004"].scores["diversity.exact.patch_group_size"] == 4  # same patch, four runs


def test_patch_normalisation_ignores_index_lines_and_spacing():
    a = "diff --git a/x b/x\nindex 123abc..456def 100644\n+ y  =  1\n"
    b = "diff --git a/x b/x\nindex 999aaa..000bbb 100644\n+ y = 1\n"
    assert normalise_patch(a) == normalise_patch(b)


def test_allocation_is_proportional_and_sums_to_the_target():
    quotas = allocate(0.1, {"a": 50, "b": 30, "c": 15, "d": 5})
    assert sum(quotas.values()) == 10
    assert quotas["a"] == 5 and quotas["b"] == 3
    assert allocate(0.07, {"x": 3, "y": 2}) == {"x": 0, "y": 0}


def test_review_sample_selects_a_stratified_share_deterministically():
    trajs = [traj(i, task=f"t{i}", commands=(f"cat {i}",), category=["bug", "feature"][i % 2]) for i in range(200)]
    stage = Stage(
        "review", checks=[ReviewSample({"fraction": 0.1, "edge_fraction": 0})], review=compile_rule({"no_findings": {}})
    )
    rows = run_stage(stage, trajs)
    picked = [r.id for r in rows if r.decision == Decision.REVIEW]
    assert len(picked) == 20
    assert all(r.reasons == ["sampled_for_review"] for r in rows if r.decision == Decision.REVIEW)
    again = [r.id for r in run_stage(stage, trajs) if r.decision == Decision.REVIEW]
    assert picked == again


def test_review_edge_cases_near_threshold_and_disagreement():
    trajs = [traj(i, task=f"t{i}", commands=(f"cat {i}",)) for i in range(40)]
    scores = [{"quality_score": i / 40} for i in range(40)]
    scores[30].update({"correctness.tests.verdict": "correct", "quality.coherence.score": 0.1})
    scores[25].update({"quality.judge.coherence": 0.2, "quality.coherence.score": 0.9})
    scores[20].update({"diversity.near.duplicate_margin": 0.01})  # kept over a near duplicate by a hair
    scores[21].update({"diversity.near.duplicate_margin": 0.3})
    stage = Stage(
        "review",
        checks=[ReviewSample({"fraction": 0.01, "edge_fraction": 0.05})],
        review=compile_rule({"no_findings": {}}),
    )
    rows = run_stage(stage, trajs, scores)
    edges = {r.id: r.scores["review.sample.edge"] for r in rows if r.scores["review.sample.edge"]}
    assert edges["id000"] == "edge_near_threshold" and edges["id001"] == "edge_near_threshold"
    assert edges["id030"] == "edge_checks_disagree"
    assert edges["id025"] == "edge_checks_disagree"  # the LLM judge and the heuristics disagree
    assert edges["id020"] == "edge_duplicate_margin" and "id021" not in edges
    assert rows[30].decision == Decision.REVIEW and "edge_checks_disagree" in rows[30].reasons


def test_trajectory_hash_is_the_step_by_step_digest():
    import hashlib
    import re

    from trajsift.checks.exact_dedup import trajectory_hash

    def reference(t):  # the digest as first defined: one update per part, regex whitespace
        space = re.compile(r"\s+")
        digest = hashlib.blake2b(digest_size=16)
        digest.update(f"{t.task.task_id}\x1e".encode())
        for step in t.steps:
            digest.update(f"{step.action.type.value}\x1f{space.sub(' ', step.action.command).strip()}\x1e".encode())
        lines = re.sub(r"^index [0-9a-f]+\.\.[0-9a-f]+.*$", "", t.final.patch, flags=re.MULTILINE).strip()
        digest.update("\n".join(space.sub(" ", line).strip() for line in lines.splitlines()).encode())
        return digest.hexdigest()

    odd = ("  cat\ta.py \n", "x\x1cy\u3000z\xa0", "", "\u2028 ls  -la \x85")
    patch = "diff --git a/x b/x\nindex 1a..2b 100644\n+ y \t= 1\x1d\n\u2029+z\r\n"
    for t in (traj(1), traj(2, commands=odd, patch=patch), traj(3, commands=(), patch="")):
        assert trajectory_hash(t) == reference(t)
