"""Every column a registered check writes is `<check id>.<metric>`, but for the headline `quality_score`;
names older runs wrote bare map onto the new ones."""

from __future__ import annotations

import pytest

from trajsift.checks import CHECKS, CapabilityMissing, load_check_class
from trajsift.columns import HEADLINE, QUALITY_SCORE, RENAMED, current_name, current_names


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_check_columns_are_named_after_the_check(check_id):
    try:
        cls = load_check_class(check_id)
    except CapabilityMissing:
        pytest.skip(f"{check_id} not installed here")
    outside = [name for name in cls.column_types() if not name.startswith(check_id + ".") and name not in HEADLINE]
    assert outside == []


def test_headline_score_is_written_by_quality_score_only():
    writers = [check_id for check_id in CHECKS if QUALITY_SCORE in load_check_class(check_id).column_types()]
    assert writers == ["quality.score"]


def test_bare_names_of_older_runs_map_to_their_check_columns():
    assert current_name("is_duplicate") == "diversity.near.is_duplicate"
    assert current_name("approach_cluster") == "diversity.novelty.approach_cluster"
    assert current_name("quality_score") == "quality_score"
    assert current_names(["trajectory_id", "tool_novelty"]) == {"tool_novelty": "diversity.novelty.tool_novelty"}
    registered = {
        name
        for check_id in ("diversity.near", "diversity.novelty")
        for name in load_check_class(check_id).column_types()
    }
    assert set(RENAMED.values()) <= registered
