"""`trajsift checks list`."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from trajsift.checks import CHECKS, CapabilityMissing, load_check_class

checks_app = typer.Typer(no_args_is_help=True, help="Checks a recipe can use.")


@checks_app.command("list")
def list_checks() -> None:
    """Print every check id, its columns and whether it is available here."""
    table = Table("id", "columns", "available")
    for check_id in CHECKS:
        try:
            cls = load_check_class(check_id)
        except CapabilityMissing as exc:
            table.add_row(check_id, "", f"[yellow]no[/]: {exc}")
            continue
        table.add_row(check_id, ", ".join(cls.column_types()), "yes")
    console = Console()
    console.print(table)
    console.print(model_table())


def model_table() -> Table:
    """The shipped calibrated model behind `quality_score`: each input column's weight, per model."""
    from trajsift.calibration import load_model

    models = load_model()
    table = Table("model", "column (transform)", "weight per sd", "weight if null", title="quality.score model")
    for model in models.models:
        name = model.scope
        for feature in sorted(model.features, key=lambda f: -abs(f.weight)):
            label = feature.column + ("" if feature.transform == "number" else f" ({feature.transform})")
            table.add_row(name, label, f"{feature.weight:+.3f}", f"{feature.missing_weight:+.3f}")
    fitted = models.provenance.get("fitted", "?")
    table.caption = f"fitted {fitted} by `{models.provenance.get('procedure', '?')}`"
    return table
