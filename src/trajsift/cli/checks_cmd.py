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
    console.print("quality_score: the first of these models whose required columns a row has scores it")
    for heading, model_table in model_tables():
        console.print(heading, markup=False)
        console.print(model_table)


def model_tables() -> list[tuple[str, Table]]:
    """The shipped calibrated models behind `quality_score`, one table each: which rows it scores (the first
    model whose required columns a row has), then each input column's weight."""
    from trajsift.calibration import load_model

    models = load_model()
    fitted = f"fitted {models.provenance.get('fitted', '?')} by `{models.provenance.get('procedure', '?')}`"
    tables = []
    for number, model in enumerate(models.models, 1):
        heading = f"quality.score model {number} of {len(models.models)}: scores the rows {model.scope}"
        table = Table("column (transform)", "weight per sd", "weight if null")
        for feature in sorted(model.features, key=lambda f: -abs(f.weight)):
            label = feature.column + ("" if feature.transform == "number" else f" ({feature.transform})")
            table.add_row(label, f"{feature.weight:+.3f}", f"{feature.missing_weight:+.3f}")
        table.caption = f"intercept {model.intercept:+.3f}; {fitted}"
        tables.append((heading, table))
    return tables
