import pytest

from trajsift.errors import ConfigError
from trajsift.rules.base import Row
from trajsift.rules.leaves import reduce_top_fraction
from trajsift.rules.tree import compile_rule


def verdict(spec, columns=None, findings=None, state=None):
    return compile_rule(spec).evaluate(Row(id="a", columns=columns or {}, findings=findings or []), state or {})


@pytest.mark.parametrize(
    ("spec", "columns", "passed"),
    [
        ({"min": {"column": "x", "value": 0.5}}, {"x": 0.5}, True),
        ({"min": {"column": "x", "value": 0.5}}, {"x": 0.49}, False),
        ({"max": {"column": "x", "value": 3}}, {"x": 4}, False),
        ({"max": {"column": "x", "value": 3}}, {"x": 3}, True),
        ({"equals": {"column": "v", "value": "ok"}}, {"v": "ok"}, True),
        ({"equals": {"column": "v", "value": "ok"}}, {"v": "bad"}, False),
        ({"in": {"column": "v", "values": ["a", "b"]}}, {"v": "b"}, True),
        ({"in": {"column": "v", "values": ["a", "b"]}}, {"v": "c"}, False),
    ],
)
def test_leaves(spec, columns, passed):
    assert verdict(spec, columns).passed is passed


def test_failing_leaf_gives_default_and_custom_reason():
    assert verdict({"min": {"column": "q.s", "value": 1}}, {"q.s": 0}).reasons == ("q_s_too_low",)
    assert verdict({"min": {"column": "q", "value": 1}, "reason": "low_q"}, {"q": 0}).reasons == ("low_q",)


def test_missing_value_is_unknown_not_pass():
    result = verdict({"min": {"column": "x", "value": 1}}, {})
    assert result.passed is None
    assert result.reasons == ("missing_x",)


def test_all_any_not_three_valued():
    low = {"min": {"column": "x", "value": 1}}
    high = {"max": {"column": "x", "value": 5}}
    assert verdict({"all": [low, high]}, {"x": 3}).passed is True
    assert verdict({"all": [low, high]}, {"x": 0}).reasons == ("x_too_low",)
    assert verdict({"any": [low, {"equals": {"column": "y", "value": 1}}]}, {"x": 0, "y": 1}).passed is True
    assert verdict({"any": [low, {"equals": {"column": "y", "value": 1}}]}, {"x": 0}).passed is None
    assert verdict({"all": [low, {"equals": {"column": "y", "value": 1}}]}, {"x": 0}).passed is False
    negated = verdict({"not": low, "reason": "too_high"}, {"x": 2})
    assert negated.passed is False and negated.reasons == ("too_high",)
    assert verdict({"not": low, "reason": "r"}, {}).passed is None


def test_no_findings_only_and_ignore():
    assert verdict({"no_findings": {}}, findings=["a", "b"]).reasons == ("a", "b")
    assert verdict({"no_findings": {"only": ["b"]}}, findings=["a", "b"]).reasons == ("b",)
    assert verdict({"no_findings": {"ignore": ["a"]}}, findings=["a"]).passed is True
    assert verdict({"no_findings": None}, findings=[]).passed is True


def test_top_fraction_per_group_with_deterministic_ties():
    rule = compile_rule({"top_fraction": {"column": "q", "fraction": 0.5, "by": ["cat"]}})
    rows = [("a", "t1", 0.9), ("a", "t2", 0.5), ("a", "t3", 0.5), ("a", "t4", 0.1), ("b", "t5", 0.2)]
    state = {rule.key: reduce_top_fraction(rule, rows)}
    kept = [tid for grp, tid, q in rows if rule.evaluate(Row(tid, {"q": q, "cat": grp}), state).passed]
    assert kept == ["t1", "t2", "t5"]  # ceil(0.5 * 4) = 2 in group a; tie 0.5 broken by id


def test_top_fraction_without_reduce_is_unknown():
    assert verdict({"top_fraction": {"column": "q", "fraction": 0.5}}, {"q": 1.0}).passed is None


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"min": {"column": "x"}},
        {"min": {"column": "x", "value": 1}, "max": {"column": "x", "value": 2}},
        {"between": {"column": "x"}},
        {"all": []},
        {"not": {"min": {"column": "x", "value": 1}}},
        {"top_fraction": {"column": "q", "fraction": 1.5}},
        {"min": {"column": "x", "value": 1, "typo": 2}},
        "min",
    ],
)
def test_invalid_rules_are_config_errors(spec):
    with pytest.raises(ConfigError):
        compile_rule(spec)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"between": {"column": "x"}}, "rule s.keep: needs exactly one of min, max"),
        ({"all": [{"min": {"column": "x", "value": 1}}, {"in": {"column": "y"}}]}, "rule s.keep: all.1.in.values"),
        ({"not": {"min": {"column": "x", "value": 1}}}, "rule s.keep: not.reason: Field required"),
        ({"min": {"column": "x", "value": 1, "typo": 2}}, "min.typo: Extra inputs are not permitted"),
    ],
)
def test_invalid_rule_errors_name_the_node(spec, message):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.")):
        compile_rule(spec, "s.keep")


def test_a_bad_rule_is_a_recipe_error_at_load_time():
    from trajsift.config import load_recipe

    with pytest.raises(ConfigError, match=r"rule basic_filter\.keep: no_findings\.typo"):
        load_recipe(None, ["stages.basic_filter.keep.no_findings.typo=1"])


def test_rule_nodes_are_typed_and_keyed_by_position():
    rule = compile_rule({"all": [{"top_fraction": {"column": "q", "fraction": 0.5, "by": ["c"]}}, {"no_findings": {}}]})
    leaf = rule.global_leaves()[0]
    assert (leaf.key, leaf.column, leaf.by, leaf.top_fraction.fraction) == ("r.0.top_fraction", "q", ["c"], 0.5)
    assert rule.columns() == {"q", "c"} and rule.children[1].key == "r.1.no_findings"
