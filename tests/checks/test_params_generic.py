"""A check names its params model as a type argument: `Check[MyParams]` sets `ParamsModel` and types `params`."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest
from pydantic import ValidationError

from trajsift.checks import CHECKS, load_check_class
from trajsift.checks.base import Check, Params
from trajsift.checks.global_check import GlobalCheck


class LengthParams(Params):
    most: int = 10
    """Longest allowed."""


class OtherParams(Params):
    least: int = 1


class LengthCheck(Check[LengthParams]):
    id = "test.length"


class SpreadCheck(GlobalCheck[LengthParams]):
    id = "test.spread"


class Plain(Check):
    id = "test.plain"


def test_type_argument_sets_the_params_model():
    assert LengthCheck.ParamsModel is LengthParams and SpreadCheck.ParamsModel is LengthParams
    assert Plain.ParamsModel is Params
    assert LengthCheck({"most": 3}).params.most == 3
    assert LengthCheck().params == LengthParams()


def test_params_are_validated_and_unknown_keys_rejected():
    with pytest.raises(ValidationError):
        LengthCheck({"most": "many"})
    with pytest.raises(ValidationError):
        LengthCheck({"least": 1})


def test_a_params_instance_is_kept_and_a_foreign_one_revalidated():
    given = LengthParams(most=4)
    assert LengthCheck(given).params is given
    with pytest.raises(ValidationError):
        LengthCheck(OtherParams())  # not silently accepted: fields are checked against the check's own model


def test_every_registered_check_with_params_declares_them_by_type_argument():
    for check_id in CHECKS:
        cls = load_check_class(check_id)
        bases = cls.__dict__.get("__orig_bases__", ())
        if cls.ParamsModel is not Params:
            assert any(cls.ParamsModel in get_args(base) for base in bases), f"{check_id}: use `Check[Model]`"


def test_no_check_casts_its_params():
    """`self.params` is typed by the type argument: no check needs a `# type: ignore` to read it."""
    folder = Path(load_check_class("quality.coherence").__module__.replace(".", "/")).parent
    sources = sorted((Path(__file__).parents[2] / "src" / folder).glob("*.py"))
    assert sources
    casts = [
        f"{path.name}:{n}"
        for path in sources
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "params" in line and "type: ignore" in line
    ]
    assert casts == []
