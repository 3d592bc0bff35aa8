import pyarrow as pa
import pytest

from trajsift import reasons
from trajsift.checks import load_check_class
from trajsift.checks.near_dedup import NearDuplicates
from trajsift.schema import Action, ActionType, FinalState, Step, TaskRef, Trajectory

from .helpers import quality_scores, run_global

_T = ActionType
PLAN = [
    (
        _T.CREATE,
        "/testbed/reproduce.py",
        "I will first reproduce the reported crash with a tiny script that calls total.",
    ),
    (_T.RUN_COMMAND, "reproduce.py", "The script fails with a TypeError when the items argument is None as reported."),
    (_T.SEARCH, "def total", "Next I need to find where the total helper is defined inside the package sources."),
    (_T.READ, "/testbed/pkg/core.py", "The helper lives in core.py, so opening it shows the summation over items."),
    (_T.EDIT, "/testbed/pkg/core.py", "Guarding against None by summing an empty list keeps the old behaviour intact."),
    (_T.RUN_TESTS, "tests/test_core.py", "Running the core tests confirms the guard and that nothing else regressed."),
    (_T.SUBMIT, "", "Everything passes, so the change is ready to be submitted for review now."),
]
OTHER_THOUGHTS = [
    "Maybe the bug is in how callers build their lists, so let me look at the call sites first.",
    "Running the snippet shows an exception; the traceback points somewhere in the package code.",
    "Searching for the definition should tell us which module owns this computation path.",
    "Opened the module; there is a loop accumulating values which might be fragile for empty input.",
    "Rewriting the function with an explicit check that raises a clearer error message instead.",
    "Tests for the module pass after this rewrite, although coverage of the edge case is thin.",
    "Submitting this alternative approach now that it behaves correctly on the example.",
]


def traj(traj_id: str, thoughts: list[str] | None = None, plan=PLAN, task: str = "pkg-1") -> Trajectory:
    thoughts = thoughts or [t for _, _, t in plan]
    steps = [
        Step(index=i, thought=thought, action=Action(type=kind, target=target, command=f"{kind.value} {target}"))
        for i, ((kind, target, _), thought) in enumerate(zip(plan, thoughts, strict=True))
    ]
    return Trajectory(
        id=traj_id, task=TaskRef(task_id=task), steps=steps, final=FinalState(patch="+fix", submitted=True)
    )


def paraphrased(traj_id: str) -> Trajectory:
    swaps = {"first": "initially", "script": "program", "find": "locate", "shows": "reveals", "now": "next"}
    thoughts = [" ".join(swaps.get(w, w) for w in t.split()) for _, _, t in PLAN]
    return traj(traj_id, thoughts)


def run(check: NearDuplicates, trajs: list[Trajectory], quality: dict[str, float] | None = None) -> dict:
    return run_global(check, trajs, quality_scores(trajs, quality))


def test_registered_with_its_columns():
    assert load_check_class("diversity.near") is NearDuplicates
    columns = {
        "diversity.near." + name
        for name in ("is_duplicate", "duplicate_of", "cluster_id", "action_novelty", "duplicate_margin")
    }
    assert set(NearDuplicates.column_types()) == columns
    assert reasons.NEAR_DUPLICATE == "near_duplicate"


def test_paraphrased_copy_is_a_duplicate_of_the_better_one():
    out = run(NearDuplicates(), [traj("a"), paraphrased("b")], {"a": 0.4, "b": 0.9})
    assert (
        out["a"].scores["diversity.near.is_duplicate"] is True and out["a"].scores["diversity.near.duplicate_of"] == "b"
    )
    assert out["a"].findings == [reasons.NEAR_DUPLICATE]
    assert (
        out["b"].scores["diversity.near.is_duplicate"] is False
        and out["b"].scores["diversity.near.duplicate_of"] is None
    )
    assert out["a"].scores["diversity.near.cluster_id"] == out["b"].scores["diversity.near.cluster_id"] == "b"


def test_equal_quality_keeps_smallest_id_and_missing_quality_loses():
    out = run(NearDuplicates(), [traj("z"), paraphrased("m"), traj("k")], {"z": 0.5, "m": 0.5})
    assert {i: o.scores["diversity.near.duplicate_of"] for i, o in out.items()} == {"z": "m", "m": None, "k": "m"}


def test_different_attempt_on_the_same_task_is_not_a_duplicate():
    out = run(NearDuplicates(), [traj("a"), traj("b", OTHER_THOUGHTS)])
    assert not out["a"].scores["diversity.near.is_duplicate"] and not out["b"].scores["diversity.near.is_duplicate"]
    assert out["a"].scores["diversity.near.cluster_id"] == "a" and out["b"].scores["diversity.near.cluster_id"] == "b"
    assert out["a"].findings == []
    # ... but the action sequence is entirely shared: no action novelty
    assert out["a"].scores["diversity.near.action_novelty"] == 0.0


def test_reordered_and_noisy_steps_still_match():
    plan = PLAN[:2] + [PLAN[3], PLAN[2]] + [PLAN[3]] + PLAN[4:]  # swapped search/read, repeated read
    thoughts = [t for _, _, t in plan]
    out = run(NearDuplicates(), [traj("a"), traj("b", thoughts, plan)], {"a": 1.0})
    assert out["b"].scores["diversity.near.duplicate_of"] == "a"


def test_empty_views_never_match():
    empty = [(_T.RUN_COMMAND, "make", ""), (_T.SUBMIT, "", "")]
    out = run(NearDuplicates(), [traj("a", plan=empty), traj("b", plan=empty)])
    assert not out["a"].scores["diversity.near.is_duplicate"] and not out["b"].scores["diversity.near.is_duplicate"]


def test_action_novelty_and_optional_action_rule():
    other_plan = [(_T.READ, f"docs/page{i}.md", f"Reading page {i} of the docs.") for i in range(6)]
    trajs = [traj("a"), traj("b", OTHER_THOUGHTS), traj("c", plan=other_plan)]
    out = run(NearDuplicates(), trajs)
    assert out["c"].scores["diversity.near.action_novelty"] == 1.0
    ruled = run(NearDuplicates({"action_rule": True, "action_min_steps": 5}), trajs, {"a": 0.9})
    assert ruled["b"].scores["diversity.near.duplicate_of"] == "a"  # 7 of 7 steps shared > 80 %
    assert not ruled["c"].scores["diversity.near.is_duplicate"]


def test_without_verification_band_collisions_decide():
    out = run(NearDuplicates({"verify": False}), [traj("a"), traj("b")])
    assert out["b"].scores["diversity.near.duplicate_of"] == "a"


def test_signature_failure_rows_are_left_alone():
    check = NearDuplicates()
    rows = [{"trajectory_id": "x", **{c: None for c in check.signature_types()}}]
    types = {"trajectory_id": pa.string(), **check.signature_types()}
    state = check.reduce(pa.Table.from_pylist(rows, schema=pa.schema(list(types.items()))))
    out = check.assign("x", rows[0], {}, state)
    assert out.scores["diversity.near.is_duplicate"] is False and out.scores["diversity.near.action_novelty"] is None
    assert check.reduce(pa.Table.from_pylist([], schema=pa.schema(list(types.items())))) == {"clusters": {}, "runs": {}}


@pytest.mark.parametrize(
    "params",
    [{"match": [["actions", "nope"]]}, {"bands": 64, "rows": 4}, {"views": {"bogus": {}}, "match": [["bogus"]]}],
)
def test_bad_params_are_rejected(params):
    with pytest.raises(ValueError):
        NearDuplicates(params)


def test_targets_are_normalised_across_containers_and_line_numbers():
    from trajsift.dedup.views import normalise_patch_text, normalise_target

    assert normalise_target("/testbed/pkg/core.py") == "pkg/core.py"
    assert normalise_target("/django__django/django/db/models.py:120") == "django/db/models.py"
    assert normalise_target("/workspace/repo/src/x.py#L3-L9") == "src/x.py"
    assert normalise_target("./tests/test_core.py") == "tests/test_core.py"
    assert (
        normalise_patch_text("index 1a..2b 100644\n@@ -10,2 +10,3 @@ def f():\n+  x  =  1\n") == "@@ def f():\n+ x = 1"
    )


def test_batch_signatures_equal_row_by_row_signatures():
    views = {
        "actions": {"tokenizer": "lines", "ngram": 1, "threshold": 0.6, "scheme": "classic"},
        "thoughts": {"tokenizer": "words", "ngram": 2, "threshold": 0.42, "num_perm": 256},
        "patch": {"tokenizer": "code", "ngram": 3, "scheme": "classic"},
        "commands": {"tokenizer": "spaces", "ngram": 2},
    }
    trajs = [traj("a"), paraphrased("b"), traj("c", OTHER_THOUGHTS), traj("d", [""] * len(PLAN)), traj("e", plan=[])]
    batched, single = NearDuplicates({"views": views}), NearDuplicates({"views": views})
    batched.run(trajs, None, [{} for _ in trajs])
    for t in trajs:  # `single` never ran: every view signed from its text alone
        assert batched.signature(t, None, {}) == single.signature(t, None, {})
    assert batched._signed == {}  # each row's batch signatures are released once read
