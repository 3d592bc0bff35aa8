"""Reference comparison: similarity moves confidence within [-0.2, +0.1] and never needs a repository."""

from __future__ import annotations

import pytest

from trajsift.harness.patch.reference import ReferenceMetrics, compare_to_reference, confidence_adjustment


def hunk(path: str, start: int, old: list[str], new: list[str]) -> str:
    body = "".join(f"-{line}\n" for line in old) + "".join(f"+{line}\n" for line in new)
    return (
        f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n"
        f"@@ -{start},{len(old)} +{start},{len(new)} @@\n{body}"
    )


REFERENCE = hunk("pkg/core.py", 40, ["    return len(text.split(' '))"], ["    return len(text.split())"])
SCRATCH = (
    "diff --git a/reproduce.py b/reproduce.py\nnew file mode 100644\n--- /dev/null\n+++ b/reproduce.py\n"
    "@@ -0,0 +1 @@\n+print(1)\n"
)


def test_identical_patch() -> None:
    metrics = compare_to_reference(REFERENCE, REFERENCE)
    assert (metrics.files_jaccard, metrics.hunk_locality, metrics.diff_similarity) == (1.0, 1.0, 1.0)
    assert metrics.edit_size_ratio == 1.0 and metrics.missing_files == metrics.extra_files == []
    assert confidence_adjustment(metrics) == pytest.approx(0.1)


def test_same_place_different_code_and_scratch_files_ignored() -> None:
    agent = hunk("pkg/core.py", 44, ["    return len(text.split(' '))"], ["    return sum(1 for _ in text.split())"])
    metrics = compare_to_reference(agent + SCRATCH, REFERENCE)
    assert metrics.files_jaccard == 1.0 and metrics.extra_files == []
    assert metrics.hunk_locality == 1.0  # 4 lines away: within the window
    assert 0.3 < metrics.diff_similarity < 1.0
    assert 0.0 < confidence_adjustment(metrics) < 0.1


def test_far_hunk_in_same_file_is_not_local() -> None:
    agent = hunk("pkg/core.py", 400, ["x = 1"], ["x = 2"]) + hunk("pkg/core.py", 41, ["y = 1"], ["y = 2"])
    assert compare_to_reference(agent, REFERENCE).hunk_locality == 0.5
    assert compare_to_reference(agent, REFERENCE, window=1000).hunk_locality == 1.0


def test_unrelated_patch_gets_the_floor() -> None:
    agent = hunk("other/module.py", 3, ["a = 1"], ["a = 2"])
    metrics = compare_to_reference(agent, REFERENCE)
    assert metrics.files_jaccard == 0.0 and metrics.hunk_locality == 0.0
    assert metrics.missing_files == ["pkg/core.py"] and metrics.extra_files == ["other/module.py"]
    assert confidence_adjustment(metrics) == pytest.approx(-0.2)


def test_oversized_edit_is_penalised_within_bounds() -> None:
    big = hunk("pkg/core.py", 40, ["    return len(text.split(' '))"], [f"    step_{i} = {i}" for i in range(40)])
    metrics = compare_to_reference(big, REFERENCE)
    assert metrics.edit_size_ratio == pytest.approx(41 / 2)
    assert -0.2 <= confidence_adjustment(metrics) < confidence_adjustment(compare_to_reference(REFERENCE, REFERENCE))


def test_nothing_to_compare() -> None:
    assert compare_to_reference("", REFERENCE) == ReferenceMetrics()
    assert compare_to_reference(REFERENCE, "") == ReferenceMetrics()
    assert compare_to_reference(SCRATCH, REFERENCE) == ReferenceMetrics()  # only scratch files
    assert confidence_adjustment(ReferenceMetrics()) == 0.0


def test_input_size_is_bounded() -> None:
    huge = hunk("pkg/core.py", 1, [f"old {i}" for i in range(30_000)], [f"new {i}" for i in range(30_000)])
    metrics = compare_to_reference(huge, huge, max_lines=500)
    assert metrics.diff_similarity == 1.0


@pytest.mark.parametrize("jaccard", [0.0, 0.3, 0.7, 1.0])
@pytest.mark.parametrize("similarity", [None, 0.0, 0.5, 1.0])
def test_adjustment_range(jaccard: float, similarity: float | None) -> None:
    metrics = ReferenceMetrics(files_jaccard=jaccard, hunk_locality=jaccard, diff_similarity=similarity)
    for ratio in (None, 0.01, 1.0, 100.0):
        metrics.edit_size_ratio = ratio
        assert -0.2 <= confidence_adjustment(metrics) <= 0.1
