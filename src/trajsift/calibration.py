"""A calibrated probability of correctness from score columns: a standardised logistic model.

The model is data (`QualityModel`, stored as JSON with its provenance): per feature the column it reads, a
transform, the training mean and scale, a weight, and a weight for "missing" (a null column is not a zero).
Scoring is plain Python; fitting (`fit_model`) uses scikit-learn's regularised logistic regression and is only
imported by the calibration procedure (`bench/transfer.py --write-model`), never by a run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib import resources
from typing import Any

UNKNOWN = "unknown"
DEFAULT_MODEL = "quality_model.json"
"""The shipped model, a data file of `trajsift.checks` (fitted on the labelled dev sources)."""


@dataclass(frozen=True)
class Feature:
    column: str
    transform: str = "number"
    """`number`; `log1p`; `bool`; `positive` (value > 0); `nonempty` (a string set); `equals:<text>`."""
    mean: float = 0.0
    scale: float = 1.0
    weight: float = 0.0
    missing_weight: float = 0.0
    """Added instead of the value's term when the column is null (or absent) on the row."""
    learn_missing: bool = True
    """Fit `missing_weight` (False: a null counts as the mean; for task facts whose absence says only which
    dataset a row came from, e.g. a difficulty label)."""

    def value(self, row: Mapping[str, Any]) -> float | None:
        raw = row.get(self.column)
        if self.transform.startswith("equals:"):  # "unknown" (the log cannot tell) is missing, not unequal
            return None if raw is None or raw == UNKNOWN else float(str(raw) == self.transform.split(":", 1)[1])
        if self.transform == "nonempty":
            return None if raw is None else float(bool(raw))
        if raw is None or isinstance(raw, str):
            return None
        number = float(raw)
        if math.isnan(number):
            return None
        if self.transform == "log1p":
            return math.log1p(max(number, 0.0))
        if self.transform == "positive":
            return float(number > 0)
        return number

    def term(self, row: Mapping[str, Any]) -> float:
        value = self.value(row)
        return self.missing_weight if value is None else self.weight * (value - self.mean) / self.scale


@dataclass(frozen=True)
class QualityModel:
    features: tuple[Feature, ...]
    intercept: float = 0.0
    provenance: dict[str, Any] = field(default_factory=dict)
    requires: str = ""
    """Columns (comma-separated) that must be known on a row, and not false, for this model to score it
    ("" = any row)."""

    def applies(self, row: Mapping[str, Any]) -> bool:
        values = (row.get(column) for column in self.required)
        return all(value is not None and value is not False for value in values)

    @property
    def required(self) -> list[str]:
        return [column for column in self.requires.split(",") if column]

    @property
    def scope(self) -> str:
        """Which rows the model scores, in words."""
        return "when " + " and ".join(self.required) if self.required else "otherwise"

    def probability(self, row: Mapping[str, Any]) -> float:
        logit = self.intercept + sum(feature.term(row) for feature in self.features)
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, logit))))

    def contributions(self, row: Mapping[str, Any]) -> dict[str, float]:
        """Each feature's term in the logit for this row (what pushed the score up or down)."""
        return {feature.column + _suffix(feature): feature.term(row) for feature in self.features}

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QualityModel:
        features = tuple(Feature(**spec) for spec in data["features"])
        provenance = dict(data.get("provenance", {}))
        return cls(features, float(data["intercept"]), provenance, str(data.get("requires", "")))


@dataclass(frozen=True)
class ModelSet:
    """Models tried in order; the first whose `requires` column holds on the row scores it."""

    models: tuple[QualityModel, ...]
    provenance: dict[str, Any] = field(default_factory=dict)

    def pick(self, row: Mapping[str, Any]) -> QualityModel:
        return next((model for model in self.models if model.applies(row)), self.models[-1])

    def probability(self, row: Mapping[str, Any]) -> float:
        return self.pick(row).probability(row)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelSet:
        if "models" not in data:
            return cls((QualityModel.from_dict(data),))
        models = tuple(QualityModel.from_dict(model) for model in data["models"])
        return cls(models, dict(data.get("provenance", {})))


def _suffix(feature: Feature) -> str:
    return "" if feature.transform in ("number", "log1p", "bool") else f" ({feature.transform})"


def _specs(prefix: str, names: str, transform: str = "number") -> list[Feature]:
    return [Feature(prefix + name, transform) for name in names.split()]


_COHORT_NAMES = (
    "steps_pct tokens_pct cost_pct observation_pct changed_lines_pct changed_files_pct task_steps_pct "
    "steps_task_pct agreement removed_line_agreement added_line_agreement same_patch_share"
)
_EVIDENCE_NAMES = (
    "tests_after_edit last_check_passed read_before_edit task_mentions_touched final_confidence failed_edit_share"
)
"""`repro_fixed` is a column, not a model input: its weight flipped sign between leave-one-source-out folds and
leaving it out raised the worst held-out AUC (bench/transfer.py; lite/coder 0.680 -> 0.697 without a tasks file)."""
_ERROR_NAMES = "statement_error_gone fix_aimed_at_error"
"""Model inputs as they are, with a null counted as no evidence either way (no learned missing weight: a run
without executions, e.g. AutoCodeRover's, is always null, and a fitted weight on that learns the scaffold; it cost
the SWE-agent vs AutoCodeRover pairs 0.783 -> 0.724). The weight was positive in every leave-one-source-out fold
(bench/transfer.py)."""
RELATIVE_INPUTS: dict[str, Feature] = {
    **{name: Feature("quality.evidence." + name) for name in _EVIDENCE_NAMES.split()},
    "difficulty_rank": Feature("quality.evidence.difficulty_rank", learn_missing=False),
    **{name: Feature("quality.evidence." + name, "log1p") for name in ("errors_after_last_pass", "reverted_edits")},
    "format_errors": Feature("basic.status.format_errors", "log1p"),
    "exit_submitted": Feature("basic.status.exit_status", "equals:submitted"),
    "limit_hit": Feature("basic.limits.limit_hit", "nonempty"),
    "patch_present": Feature("basic.content.patch_status", "equals:present", learn_missing=False),
    **{name: Feature("quality.wording." + name) for name in ("hesitation", "statement_overlap")},
}
"""Per-row facts `quality.relative` reads against the run's cohort (value minus the cohort's mean): how often
an agent tests, hedges or hits a limit depends on the scaffold and the model, so the deviation from its own
habit is what compares across agents."""
RELATIVE = "quality.relative."
_REFERENCE = "quality.reference."
BASE_FEATURES: tuple[Feature, ...] = (
    *_specs("quality.cohort.", _COHORT_NAMES),
    *_specs("quality.evidence.", _EVIDENCE_NAMES),
    Feature("quality.evidence.difficulty_rank", learn_missing=False),
    *(Feature("quality.evidence." + name, learn_missing=False) for name in _ERROR_NAMES.split()),
    # As it is, a null (no edit or no execution in the run) as no evidence; its weight was positive in
    # every leave-one-source-out fold, its cohort-relative version's was not (bench/transfer.py).
    Feature("quality.wording.claim_backed", learn_missing=False),
    *_specs("quality.evidence.", "errors_after_last_pass reverted_edits", "log1p"),
    Feature("basic.status.format_errors", "log1p"),
    Feature("basic.status.exit_status", "equals:submitted"),
    Feature("basic.limits.limit_hit", "nonempty"),
    Feature("basic.content.patch_status", "equals:present", learn_missing=False),  # "unknown": no evidence
    *_specs("quality.completeness.", "gave_up submitted"),
    Feature("quality.efficiency.novel_observation_ratio"),
    *(Feature(RELATIVE + name, learn_missing=spec.learn_missing) for name, spec in RELATIVE_INPUTS.items()),
)
"""What the shipped model reads when the task has no reference patch: nothing measured in absolute steps,
tokens or cost (those are cohort percentiles), nothing tied to one scaffold's vocabulary; the evidence both as
it is and relative to the cohort's habit."""
REFERENCE_FEATURES: tuple[Feature, ...] = (
    *BASE_FEATURES,
    *_specs(_REFERENCE, "file_recall file_precision removed_recall added_recall function_recall"),
)
REFERENCE_AVAILABLE = _REFERENCE + "available"
USAGE_COLUMNS = ("quality.cohort.tokens_pct", "quality.cohort.cost_pct")
"""Token and cost percentiles: a format without usage figures (OpenHands completion logs, most chat exports) has
none. With them missing, the weights of the counts they move with (steps, observation volume) fitted beside them
no longer hold, so such rows get a model fitted without them (`without_usage`)."""


TASK_COLUMNS = tuple(
    "quality.cohort." + name
    for name in "task_steps_pct steps_task_pct agreement removed_line_agreement added_line_agreement "
    "same_patch_share".split()
)
"""What the other runs of the same task say (`quality.cohort`): none when the run is alone on its task (one
agent, one rollout: a user scoring a single run of each task). Fitted beside them, the other weights lean on them
and a learned "missing" term stands in, fitted on the few training rows that happen to be alone; such rows get
models fitted without them instead (`model_variants`)."""
TASK_PRESENT = TASK_COLUMNS[0]
"""Known exactly when the task has other runs (their mean steps percentile)."""


def without_usage(features: Sequence[Feature]) -> tuple[Feature, ...]:
    return tuple(feature for feature in features if feature.column not in USAGE_COLUMNS)


def with_usage(requires: str) -> str:
    """`requires` plus the usage column the model fitted with usage needs."""
    return ",".join(filter(None, (requires, USAGE_COLUMNS[0])))


def model_variants(
    features: Sequence[Feature], requires: str = "", alone: bool = True
) -> list[tuple[tuple[Feature, ...], str]]:
    """(features, requires) of the models a row picks from, in order: with usage and the task's other runs,
    other runs only, usage only, neither (`alone=False`: the first two only, a run alone on its task scored by
    their missing terms). Each is fitted on every row (`bench/transfer.py`)."""
    variants = []
    for task in (True, False) if alone else (True,):
        kept = tuple(f for f in features if task or f.column not in TASK_COLUMNS)
        task_requires = ",".join(filter(None, (requires, TASK_PRESENT if task and alone else "")))
        variants += [(kept, with_usage(task_requires)), (without_usage(kept), task_requires)]
    return variants


def load_model(path: str = "") -> ModelSet:
    """Models from a JSON file (one model, or `{"models": [...]}`), or the shipped set when `path` is empty."""
    if path:
        with open(path, encoding="utf-8") as handle:
            return ModelSet.from_dict(json.load(handle))
    text = resources.files("trajsift.checks").joinpath(DEFAULT_MODEL).read_text(encoding="utf-8")
    return ModelSet.from_dict(json.loads(text))


def fit_model(
    specs: Sequence[Feature],
    rows: Sequence[Mapping[str, Any]],
    labels: Sequence[bool],
    strength: float = 0.3,
    requires: str = "",
) -> QualityModel:
    """Fit weights for `specs` (column + transform) on labelled rows: standardise each feature on its known
    values, add a missing indicator where the column can be null, L2-regularised logistic regression
    (`strength` is scikit-learn's C: smaller = stronger shrinkage). Deterministic for the same inputs."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    columns, stats = [], []
    for spec in specs:
        values = [spec.value(row) for row in rows]
        known = np.array([v for v in values if v is not None], dtype=float)
        mean = float(known.mean()) if len(known) else 0.0
        scale = float(known.std()) if len(known) > 1 and known.std() > 1e-9 else 1.0
        standardised = [0.0 if v is None else (v - mean) / scale for v in values]
        missing = [1.0 if v is None else 0.0 for v in values]
        columns.append((standardised, missing) if spec.learn_missing else (standardised,))
        stats.append((mean, scale, spec.learn_missing and 0 < sum(missing) < len(missing)))
    matrix = np.column_stack([column for pair in columns for column in pair])
    model = LogisticRegression(C=strength, max_iter=2000).fit(matrix, np.array(labels, dtype=bool))
    weights = iter(model.coef_[0])
    fitted = []
    for spec, (mean, scale, has_missing) in zip(specs, stats, strict=True):
        weight = float(next(weights))
        missing_weight = float(next(weights)) if spec.learn_missing else 0.0
        missing_weight = missing_weight if has_missing else 0.0
        fitted.append(
            Feature(
                spec.column, spec.transform, mean, scale, round(weight, 6), round(missing_weight, 6), spec.learn_missing
            )
        )
    return QualityModel(tuple(fitted), round(float(model.intercept_[0]), 6), {"rows": len(rows)}, requires)
