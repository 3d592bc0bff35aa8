"""`trajsift export RUN_DIR --to hf|openai|sharegpt|parquet OUT [--rows ...]`: training-ready files.

Rows: `kept` (default), `kept+approved` (after `trajsift finalize`) or `failed-masked` (kept plus failed
runs). Every step is labelled (useful / unnecessary / mistake / recovery, reviewers' step labels first)
and each message carries a `train` flag: assistant messages of masked steps (`--mask`) are not trained on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from trajsift.cli.errors import fail_on_error
from trajsift.errors import ConfigError
from trajsift.export.rows import RowCounts, RowSet, iter_labelled
from trajsift.export.training import DEFAULT_MASKED, training_record
from trajsift.export.writers import ExportTarget, write_records
from trajsift.steplabels import LABELS, HumanLabels, load_human_labels


def export(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (`trajsift run --out`).")],
    out: Annotated[Path, typer.Argument(help="Output: a folder (hf), .jsonl / .jsonl.gz (openai, sharegpt), .parquet")],
    to: Annotated[ExportTarget, typer.Option("--to", help="Output format.")] = ExportTarget.hf,
    rows: Annotated[RowSet, typer.Option("--rows", help="Which rows to export.")] = RowSet.kept,
    mask: Annotated[
        str, typer.Option("--mask", help="Step labels whose assistant messages get train=false (comma-separated).")
    ] = ",".join(sorted(DEFAULT_MASKED)),
    db: Annotated[str | None, typer.Option("--db", help="Review database URL (default: RUN_DIR/review.db).")] = None,
) -> None:
    """Export a run's rows as training data with per-step labels and loss masks."""
    console = Console(stderr=True, highlight=False)
    with fail_on_error():
        masked = _masked(mask)
        human = load_human_labels(run_dir, db)
        counts = RowCounts()
        try:
            written = write_records(to, out, _records(run_dir, rows, human, counts, masked))
        except OSError as exc:
            raise ConfigError(f"cannot write {out}: {exc}") from exc
    by_subset = ", ".join(f"{name} {n}" for name, n in sorted(counts.rows.items())) or "none"
    console.print(f"exported {written} trajectories ({escape(by_subset)}) -> {escape(str(out))}")
    if counts.skipped:
        skipped = ", ".join(f"{reason} {n}" for reason, n in sorted(counts.skipped.items()))
        console.print(f"left out: {escape(skipped)}")


def _masked(mask: str) -> frozenset[str]:
    names = frozenset(name.strip() for name in mask.split(",") if name.strip())
    unknown = names - set(LABELS)
    if unknown:
        raise ConfigError(f"--mask: unknown label(s) {', '.join(sorted(unknown))}; labels are {', '.join(LABELS)}")
    return names


def _records(
    run_dir: Path, rows: RowSet, human: HumanLabels, counts: RowCounts, masked: frozenset[str]
) -> Iterator[dict[str, Any]]:
    for row in iter_labelled(run_dir, rows, human, counts):
        yield training_record(row.trajectory, row.labels, row.subset, masked)
