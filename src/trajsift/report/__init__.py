"""`trajsift report`: one self-contained, offline HTML page summarising a run directory.

Everything is inline (CSS, SVG charts), no scripts, a strict Content-Security-Policy, and every
string that comes from the run's data is HTML-escaped.
"""

from __future__ import annotations

from pathlib import Path

from trajsift.errors import PipelineError
from trajsift.files import write_bytes
from trajsift.report import model, rows, sections
from trajsift.report.html import esc, page, tag
from trajsift.report.integrity import integrity
from trajsift.report.style import CSS
from trajsift.rundata import RunData, load_run
from trajsift.rundir import RunDir

__all__ = ["render_report", "write_report"]

NAV = (
    ("funnel", "Funnel"),
    ("integrity", "Integrity"),
    ("reasons", "Reasons"),
    ("distributions", "Distributions"),
    ("scores", "Scores"),
    ("model", "Quality model"),
    ("labels", "Labels"),
    ("quarantine", "Quarantine"),
    ("rejected", "Rejected"),
    ("review", "Review"),
    ("provenance", "Provenance"),
)


def render_report(data: RunData) -> str:
    """The full HTML page for one loaded run."""
    stats, run = data.stats, data.info
    fingerprint = run.get("recipe_fingerprint", "unknown")
    header = (
        tag("h1", "trajsift run report")
        + tag("div", esc(f"{data.path} - recipe {fingerprint}"), cls="sub")
        + tag("nav", "".join(tag("a", esc(title), href=f"#{anchor}") for anchor, title in NAV))
    )
    body = "".join(
        [
            sections.overview(stats),
            sections.funnel(stats),
            integrity(stats),
            sections.reasons(stats),
            sections.distributions(stats),
            sections.scores(stats),
            model.quality_model(run),
            sections.labels(stats),
            rows.quarantine(stats, data.quarantine),
            rows.examples("rejected", "Rejected examples", data.rejected),
            rows.examples("review", "Sent to review", data.review),
            rows.provenance(run, str(data.path)),
        ]
    )
    return page(f"trajsift report - {data.path.name}", CSS, header, body)


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Render the report of `run_dir` into `out` (a file or folder; default `run_dir/report.html`), atomically."""
    data = load_run(run_dir, tables=False)  # the report samples rows; it never loads a whole output
    target = Path(out) if out is not None else data.path
    if target.is_dir():
        target = RunDir(target).report
    try:
        write_bytes(target, render_report(data).encode("utf-8"))
    except OSError as exc:
        raise PipelineError(f"cannot write the report to {target}: {exc}") from exc
    return target
