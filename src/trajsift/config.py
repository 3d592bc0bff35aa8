"""The recipe: a YAML file validated by pydantic (unknown keys are errors), mapping 1:1 onto the
pipeline objects, with `key=value` overrides and a fingerprint for provenance and caching.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import Any, Literal

import orjson
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from trajsift.errors import ConfigError
from trajsift.rules.tree import compile_rule


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckSpec(Strict):
    id: str
    """Check id from `trajsift checks list` (`family.check`)."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Parameters, validated by the check's own parameter model."""


class StageSpec(Strict):
    name: str
    checks: list[CheckSpec] = Field(default_factory=list)
    keep: dict[str, Any] | None = None
    """Rule a row must pass to stay; failing rows are dropped with the rule's reasons."""
    review: dict[str, Any] | None = None
    """Rule whose failure sends a kept row to human review."""
    skip_dropped: bool = True
    """Do not run this stage's checks on rows an earlier stage dropped."""
    enabled: bool = True

    @model_validator(mode="after")
    def _rules_are_valid(self) -> StageSpec:
        """A bad `keep` / `review` rule is a recipe error at load time, naming its stage and node."""
        for field, spec in (("keep", self.keep), ("review", self.review)):
            if spec:
                try:
                    compile_rule(spec, f"{self.name}.{field}")
                except ConfigError as exc:
                    raise ValueError(str(exc)) from exc
        return self


class ReadSpec(Strict):
    format: str | None = None
    """Force one reader instead of sniffing each record."""
    max_record_bytes: int = 64 * 1024 * 1024
    """A record (JSONL line, JSON document) larger than this is quarantined as `row_too_large` before it is held
    whole: the largest real trajectories are a few MB, and one record costs several times its size in a run."""


class OutputSpec(Strict):
    jsonl: bool = False
    """Also write `kept.jsonl` / `rejected.jsonl` / `review.jsonl`."""


class RewardSpec(Strict):
    """`trajsift reward`: how trajectory and per-step rewards are computed (see `trajsift.rewards`)."""

    weights: dict[str, float] = Field(
        default_factory=lambda: {
            "correctness": 0.5,
            "efficiency": 0.2,
            "code_quality": 0.1,
            "reasoning": 0.1,
            "tool_usage": 0.1,
        }
    )
    """Weight of each trajectory reward component; keys given here update the defaults (0 turns one off). A
    component that cannot be measured for a trajectory is left out and the remaining weights are renormalised
    to sum to 1 (never filled with a default)."""
    use_outcome_label: bool = False
    """Fall back to the outside `resolved` label (1 / 0) for correctness when no test verdict exists."""
    use_model_probability: bool = True
    """Without a test verdict (or a label, when used), correctness is the quality model's calibrated
    probability that the run resolves its task (`correctness_source` = `model`); off leaves it unmeasured."""
    judge_reasoning: bool = False
    """Score reasoning with the LLM judge (`trajsift.llm.judge.judge_reasoning`) when a client is configured."""
    f2p_share: float = Field(default=0.75, ge=0.0, le=1.0)
    """Share of FAIL_TO_PASS in correctness when tests ran (the rest is PASS_TO_PASS)."""
    expected_steps: dict[str, int] | None = None
    """Expected actions per difficulty for efficiency; None = the `quality.efficiency` check's defaults."""
    step_weights: dict[str, float] = Field(
        default_factory=lambda: {"progress": 1.0, "tests": 0.5, "syntax": 0.25, "errors": 0.25}
    )
    """Weight of each per-step reward part (progress delta, passing-test change, syntax turning good or bad,
    penalty for new errors and regressions)."""

    @field_validator("weights", mode="before")
    @classmethod
    def _merge_default_weights(cls, value: Any) -> Any:
        defaults = {"correctness": 0.5, "efficiency": 0.2, "code_quality": 0.1, "reasoning": 0.1, "tool_usage": 0.1}
        return {**defaults, **value} if isinstance(value, dict) else value


class AlertSpec(Strict):
    """A quality alert evaluated after a run (see `trajsift.alerts.evaluate`)."""

    name: str = Field(min_length=1, max_length=200)
    """Shown in the terminal, the dashboard and the webhook message."""
    metric: str = Field(min_length=1, max_length=300)
    """A `stats.json` path (`decisions.keep_rate`, `averages.quality_score`, `funnel.quality.pass_rate`) or a
    per-row column: `quality_score` (mean) or `correctness.tests.verdict == correct` (rate of rows equal)."""
    kind: Literal["threshold", "drift"] = "threshold"
    """`threshold`: the metric is below `min` or above `max`; `drift`: the last `window` trajectories (generation
    order) versus the `baseline` trajectories before them moved down by `drop` or up by `rise`."""
    min: float | None = None
    """Threshold: fire when the metric is below this."""
    max: float | None = None
    """Threshold: fire when the metric is above this."""
    window: int = Field(default=500, ge=1)
    """Drift: trajectories in the recent window (row metrics only)."""
    baseline: int | None = Field(default=None, ge=1)
    """Drift: trajectories in the baseline window just before the recent one; None = all earlier ones."""
    drop: float | None = Field(default=None, gt=0)
    """Drift: fire when recent <= baseline - drop (metric units: 0.10 = ten points of a rate)."""
    rise: float | None = Field(default=None, gt=0)
    """Drift: fire when recent >= baseline + rise."""
    min_rows: int = Field(default=20, ge=1)
    """Drift: fewer rows with a value in either window than this = not enough data, never fires."""
    severity: Literal["info", "warning", "critical"] = "warning"
    webhook: str | None = Field(default=None, pattern=r"^https?://[^\s/]+")
    """Slack-compatible webhook (http or https) that receives the alert when it fires."""
    webhook_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    """Name of an environment variable holding the webhook URL (keeps secrets out of run.json)."""

    @model_validator(mode="after")
    def _check_kind(self) -> AlertSpec:
        if self.kind == "threshold" and self.min is None and self.max is None:
            raise ValueError("a threshold alert needs min or max")
        if self.kind == "drift" and self.drop is None and self.rise is None:
            raise ValueError("a drift alert needs drop or rise")
        return self


class PriceSpec(Strict):
    input_per_mtok: float = Field(default=0.0, ge=0)
    """Price in currency units per million prompt tokens."""
    output_per_mtok: float = Field(default=0.0, ge=0)
    """Price in currency units per million completion tokens."""


class LLMSpec(Strict):
    """An OpenAI-compatible chat-completions endpoint (vLLM, Ollama, OpenAI, ...)."""

    base_url: str = "http://127.0.0.1:8000/v1"
    """Base URL; `/chat/completions` is appended."""
    model: str
    """Model name sent in each request."""
    api_key_env: str | None = None
    """Name of the environment variable holding the API key (the key itself never goes in a recipe)."""
    timeout: float = Field(default=60.0, gt=0)
    """Seconds per HTTP request."""
    max_concurrency: int = Field(default=4, ge=1)
    """Requests in flight at once (per process)."""
    max_retries: int = Field(default=4, ge=0)
    """Retries on 429, 5xx, timeouts and malformed responses."""
    backoff_base: float = Field(default=1.0, ge=0)
    """First backoff delay in seconds; doubles per retry, with full jitter."""
    backoff_max: float = Field(default=60.0, ge=0)
    """Longest single wait, including a server's Retry-After."""
    temperature: float = Field(default=0.0, ge=0)
    """Sampling temperature for judge calls."""
    max_tokens: int = Field(default=512, ge=1)
    """Completion token cap per call."""
    cache_dir: str | None = None
    """Folder of the on-disk response cache (SQLite); none disables caching."""
    prices: dict[str, PriceSpec] = Field(default_factory=dict)
    """Model name -> price per million tokens, for cost accounting."""


class Recipe(Strict):
    version: int = 1
    read: ReadSpec = Field(default_factory=ReadSpec)
    tasks: str | None = None
    """Task file (trajsift tasks or SWE-bench instances) for task-aware checks."""
    labels: list[str] = Field(default_factory=list)
    """Outcome label files attached to trajectories (SWE-bench results, CSV)."""
    shard_size: int = Field(default=500, ge=1)
    """Trajectories per shard: the unit of parallelism, resumption and memory."""
    output: OutputSpec = Field(default_factory=OutputSpec)
    stages: list[StageSpec] = Field(default_factory=list)
    rewards: RewardSpec = Field(default_factory=RewardSpec)
    """Reward weights and options for `trajsift reward`."""
    alerts: list[AlertSpec] = Field(default_factory=list)
    """Quality alerts checked after the run (`trajsift.alerts.evaluate`)."""
    llm: LLMSpec | None = None
    """LLM endpoint for optional checks that need one (`quality.judge`); those are skipped without it."""
    correctness: Literal["required", "optional"] = "required"
    """`required`: a run whose correctness checks cannot work here (no sandbox) stops before it starts;
    `optional`: it runs on, each verdict `unknown(sandbox_unavailable)`, counted in the funnel and alerted on."""

    def fingerprint(self) -> str:
        canonical = orjson.dumps(self.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(canonical).hexdigest()


def default_recipe_text() -> str:
    return resources.files("trajsift").joinpath("recipes/default.yaml").read_text()


def load_recipe(path: str | None = None, overrides: list[str] | None = None) -> Recipe:
    """Load a recipe file (or the default recipe) and apply `key=value` overrides."""
    text = default_recipe_text() if path is None else _read(path)
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"recipe {path or 'default'} is not valid YAML: {exc}") from exc
    for override in overrides or []:
        apply_override(data, override)
    try:
        return Recipe.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"invalid recipe {path or 'default'}:\n{_format_errors(exc)}") from exc


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as exc:
        raise ConfigError(f"cannot read recipe {path}: {exc}") from exc


def _format_errors(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        lines.append(f"  {where}: {err['msg']}")
    return "\n".join(lines)


def apply_override(data: dict[str, Any], override: str) -> None:
    """`a.b.c=value`; list items by index or, for stages and checks, by name / id."""
    key, sep, raw = override.partition("=")
    if not sep or not key:
        raise ConfigError(f"override {override!r}: expected key=value")
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ConfigError(f"override {override!r}: bad value: {exc}") from exc
    parts = key.split(".")
    node: Any = data
    i = 0
    while i < len(parts) - 1:
        used = _item_width(node, parts, i)
        node = _step(node, ".".join(parts[i : i + used]), ".".join(parts[: i + used]), create=True)
        i += used
    last = parts[-1]
    if isinstance(node, list):
        node[_list_index(node, last, key)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ConfigError(f"override {override!r}: {'.'.join(parts[:-1])} is not a mapping")


def _item_width(node: Any, parts: list[str], i: int) -> int:
    """How many dotted parts name the next item: check ids (`review.sample`) contain dots."""
    if isinstance(node, list):
        ids = {str(item.get("id")) for item in node if isinstance(item, dict)}
        for width in range(len(parts) - 1 - i, 1, -1):
            if ".".join(parts[i : i + width]) in ids:
                return width
    return 1


def _step(node: Any, part: str, where: str, create: bool) -> Any:
    if isinstance(node, list):
        return node[_list_index(node, part, where)]
    if not isinstance(node, dict):
        raise ConfigError(f"override path {where}: not a mapping")
    if part not in node or node[part] is None:
        if not create:
            raise ConfigError(f"override path {where}: not found")
        node[part] = {}
    return node[part]


def _list_index(items: list[Any], part: str, where: str) -> int:
    if part.isdigit() and int(part) < len(items):
        return int(part)
    for i, item in enumerate(items):
        if isinstance(item, dict) and part in (item.get("name"), item.get("id")):
            return i
    raise ConfigError(f"override path {where}: no item named {part!r}")
