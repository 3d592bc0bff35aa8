"""The report's "Quality model" section: the weights behind `quality_score` for this run's recipe."""

from __future__ import annotations

from typing import Any

from trajsift.report.html import esc, section, table, tag


def quality_model_path(run: dict[str, Any]) -> str | None:
    """The model file the run's `quality.score` check used ("" = shipped); None when it used none."""
    recipe = run.get("recipe") if isinstance(run.get("recipe"), dict) else {}
    for stage in recipe.get("stages") or []:
        for check in (stage or {}).get("checks") or []:
            if isinstance(check, dict) and check.get("id") == "quality.score":
                params = check.get("params") or {}
                return None if params.get("weights") is not None else str(params.get("model") or "")
    return None


def quality_model(run: dict[str, Any]) -> str:
    path = quality_model_path(run)
    if path is None:
        return section("model", "Quality model", tag("p", "quality.score did not run.", cls="empty"))
    from trajsift.calibration import load_model

    try:
        models = load_model(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return section("model", "Quality model", tag("p", esc(f"cannot load {path or 'the shipped model'}: {exc}")))
    rows = []
    for model in models.models:
        scope = model.scope
        for feature in sorted(model.features, key=lambda f: -abs(f.weight)):
            label = feature.column + ("" if feature.transform == "number" else f" ({feature.transform})")
            rows.append([esc(scope), esc(label), f"{feature.weight:+.3f}", f"{feature.missing_weight:+.3f}"])
    note = f"fitted {models.provenance.get('fitted', '?')} by {models.provenance.get('procedure', '?')}"
    body = table(["model", "column (transform)", "weight per sd", "weight if null"], rows, numeric=(2, 3))
    return section("model", "Quality model", body, note=esc(note))
