"""The run directory: the name of every file and folder a run writes, and the decision a row gets.

`RunDir(path)` is the one place where the output names are spelled. The writer writes through it and
every consumer (report, review, dashboard, planner, alerts, export, finalize, the CLI) reads through it:

    kept.parquet / rejected.parquet / review.parquet   one file per `Decision` (and `.jsonl` copies)
    quarantine.jsonl   rows that could not be read, with a reason
    order.parquet      every row's decision in input order (puts the three outputs back in input order)
    stats.json         the run's metrics          run.json      provenance (recipe, inputs, versions)
    alerts.json        alert results              report.html   the offline report
    progress.json      phases of a run going on   live.json     its partial metrics
    final.parquet      kept rows after review (`trajsift finalize`)
    review.db          the review app's database
    _work/             executor work files; `_work/RUN.json` claims the folder, `_work/cache` holds check caches
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path


class Decision(str, Enum):
    """What the pipeline decided for a row; the value is what the `decision` column holds on disk."""

    KEEP = "keep"
    DROP = "drop"
    REVIEW = "review"

    def __str__(self) -> str:
        return self.value

    @property
    def part(self) -> str:
        """The output part holding the rows with this decision (`kept`, `rejected`, `review`)."""
        return _PART_OF[self.value]


_PART_OF = {"keep": "kept", "drop": "rejected", "review": "review"}
PARTS = ("kept", "rejected", "review")
"""The output parts, one Parquet file each."""
WORK_DIR = "_work"
CACHE_DIR = "cache"


class RunDir:
    """Paths of one run directory; nothing is read or created by naming a path."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"RunDir({str(self.root)!r})"

    def output(self, part: str | Decision) -> Path:
        """The Parquet file of an output part (`kept`, `rejected`, `review`) or of a decision's part."""
        return self.root / f"{_part(part)}.parquet"

    def output_jsonl(self, part: str | Decision) -> Path:
        return self.root / f"{_part(part)}.jsonl"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine.jsonl"

    @property
    def order(self) -> Path:
        """Every row's decision in input order (one `decision` column)."""
        return self.root / "order.parquet"

    @property
    def stats(self) -> Path:
        return self.root / "stats.json"

    @property
    def info(self) -> Path:
        """`run.json`: recipe, fingerprints, input digests and versions of the run that wrote the outputs."""
        return self.root / "run.json"

    @property
    def alerts(self) -> Path:
        return self.root / "alerts.json"

    @property
    def report(self) -> Path:
        return self.root / "report.html"

    @property
    def progress(self) -> Path:
        """Phases and row counts of a run going on (written on a timer)."""
        return self.root / "progress.json"

    @property
    def live(self) -> Path:
        """Partial metrics of a run going on (written on a timer)."""
        return self.root / "live.json"

    @property
    def final(self) -> Path:
        """Kept rows after review decisions, written by `trajsift finalize`."""
        return self.root / "final.parquet"

    @property
    def review_db(self) -> Path:
        return self.root / "review.db"

    @property
    def work(self) -> Path:
        """The executor's work folder (its layout is the executor's own)."""
        return self.root / WORK_DIR

    @property
    def identity(self) -> Path:
        """`_work/RUN.json`: the input fingerprint of the run that claimed this folder."""
        return self.work / "RUN.json"

    @property
    def cache(self) -> Path:
        """Content-addressed check caches, valid for any run (kept by `--overwrite`)."""
        return self.work / CACHE_DIR

    def run_outputs(self) -> list[Path]:
        """Files a run writes besides `_work/` and the live files (removed by `--overwrite`)."""
        parts = [path for part in PARTS for path in (self.output(part), self.output_jsonl(part))]
        return [*parts, self.quarantine, self.order, self.stats, self.info, self.alerts, self.report]

    def markers(self) -> list[Path]:
        """Files whose presence makes a folder a run directory (finished or going on)."""
        return [self.stats, self.output("review"), self.progress, self.info, self.output("kept")]

    def is_run(self) -> bool:
        return any(path.is_file() for path in self.markers())


def partial_path(path: Path) -> Path:
    """The hidden name a streamed file is written under before it is renamed onto `path`."""
    return path.with_name(f".{path.name}.partial")


def _part(part: str | Decision) -> str:
    if isinstance(part, Decision):
        return part.part
    if part not in PARTS:
        raise ValueError(f"unknown output part {part!r}; expected one of {', '.join(PARTS)}")
    return part
