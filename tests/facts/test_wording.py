"""Hesitation in an agent's reasoning, and the code names a statement and a change share."""

from __future__ import annotations

import pytest

from trajsift.facts.wording import THOUGHT_LIMIT, code_names, hesitation_rate, names_overlap
from trajsift.schema import Step


def thoughts(*texts: str) -> list[Step]:
    return [Step(thought=text) for text in texts]


def test_hesitation_counts_second_thoughts_per_hundred_words():
    calm = thoughts("I will open the parser module.", "The fix is in place and the test passes.")
    torn = thoughts("Wait, that is strange.", "Actually the output is still wrong, but maybe the cache is stale.")
    assert hesitation_rate(calm) == 0.0
    assert hesitation_rate(torn) == pytest.approx(100 * 5 / 16)


def test_hesitation_is_null_without_reasoning_and_reads_a_bounded_prefix():
    assert hesitation_rate(thoughts("", "")) is None
    assert hesitation_rate([]) is None
    late = thoughts("ok " * THOUGHT_LIMIT + "wait wait wait")
    assert hesitation_rate(late) == 0.0


def test_code_names_keep_identifiers_and_skip_prose_and_urls():
    text = "Calling `QuerySet.bulk_update()` on MyModel fails; see https://example.org/some_page. It is slow."
    names = code_names(text)
    assert {"QuerySet", "bulk_update", "MyModel"} <= names
    assert "Calling" not in names and "slow" not in names
    assert not any("example" in name for name in names)
    assert "parse_args" in code_names("def parse_args(argv):\n    return argv")
    assert code_names("def run(): pass") == set()  # shorter than four characters: too common to mean anything


def test_names_overlap_between_statement_and_change():
    statement = "`separability_matrix` gives wrong results for nested CompoundModel instances."
    assert names_overlap(statement, "def _cstack(left, right):\n    cright = separability_matrix(right)") == 1.0
    assert names_overlap(statement, "return _coord_matrix(model, pos, noutp)") == 0.0
    assert names_overlap("the page is blank", "return _coord_matrix(model)") is None
    assert names_overlap(statement, "") is None
