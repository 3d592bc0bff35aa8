"""Hesitation in an agent's reasoning, and the code names a statement and a change share."""

from __future__ import annotations

import pytest

from trajsift.facts.wording import (
    LAST_WORDS,
    THOUGHT_LIMIT,
    claims_verified,
    code_names,
    hesitation_rate,
    last_words,
    names_overlap,
)
from trajsift.schema import Action, ActionType, Step


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


def test_last_words_are_the_last_thought_or_the_closing_action_bounded():
    submit = Step(action=Action(type=ActionType.SUBMIT, command="Done: all tests pass."))
    assert last_words([*thoughts("I read the file.", "The fix is in."), Step(thought="  ")]) == "The fix is in."
    assert last_words([*thoughts("I read the file."), submit]) == "Done: all tests pass."
    assert last_words([Step(action=Action(type=ActionType.RUN_COMMAND, command="pytest -q"))]) == ""
    assert last_words(thoughts("x" * 5000 + " verified")) == ("x" * 5000 + " verified")[-LAST_WORDS:]


def test_claims_verified_reads_a_check_of_the_fix_not_any_mention_of_tests():
    for text in ("All tests pass now.", "The tests are passing.", "I verified the output.", "This confirms the fix"):
        assert claims_verified(text), text
    for text in ("I could not run the tests.", "The fix is in place.", "Please review the unverified change."):
        assert not claims_verified(text), text
