"""Which run an output folder holds: a run never silently replaces a different run's outputs.

A run claims `--out` by writing its input fingerprint (inputs, read settings, labels, tasks, shard size)
to `_work/RUN.json` before any other work. A later run with the same fingerprint resumes it, or re-runs
it with other stage settings (stage work is keyed by the stage chain, so what did not change is reused).
Once a run finishes, the work folders of earlier settings are pruned (`prune_work`).
A run with another fingerprint is refused unless `overwrite`, which first removes the old run's outputs
and its `_work/`, keeping only the content-addressed check caches (`_work/cache`, valid for any run).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from trajsift.errors import PipelineError
from trajsift.files import read_json, write_json
from trajsift.rundir import RunDir


def claim_out_dir(out: Path, fingerprint: str, inputs: list[str], overwrite: bool = False) -> None:
    """Make `out` hold the run with `fingerprint`; raise `PipelineError` if it holds another one."""
    held = held_run(out)
    if held == fingerprint:
        return
    if held is not None:
        if not overwrite:
            raise PipelineError(
                f"--out {out} holds a different run ({_describe(out, held)}); choose another --out, "
                "or pass --overwrite to replace it"
            )
        clear_run(out)
    write_json(RunDir(out).identity, {"input_fingerprint": fingerprint, "inputs": inputs})


def held_run(out: Path) -> str | None:
    """The input fingerprint of the run in `out`; `unknown` for run files without one; None if no run."""
    run = RunDir(out)
    for path in (run.identity, run.info):
        try:
            value = read_json(path).get("input_fingerprint")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(value, str) and value:
            return value
    has_run = _has_work(run) or any(path.exists() for path in run.run_outputs())
    return "unknown" if has_run else None


def _has_work(run: RunDir) -> bool:
    """Work files besides the caches and the leftovers of a write killed before it completed."""
    if not run.work.is_dir():
        return False
    return any(entry != run.cache and not entry.name.endswith(".tmp") for entry in run.work.iterdir())


def _describe(out: Path, held: str) -> str:
    try:
        inputs = read_json(RunDir(out).identity).get("inputs")
    except (OSError, ValueError, AttributeError):
        inputs = None
    if held == "unknown":
        return "written by an older trajsift or left incomplete"
    return f"inputs {', '.join(map(str, inputs))}" if isinstance(inputs, list) and inputs else "other inputs"


def clear_run(out: Path) -> None:
    """Remove a run's outputs and work files from `out`, keeping the check caches."""
    run = RunDir(out)
    for path in run.run_outputs():
        path.unlink(missing_ok=True)
    if run.work.is_dir():
        for entry in run.work.iterdir():
            if entry == run.cache:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()


def prune_work(out: Path, keep: Iterable[Path]) -> None:
    """Remove the read, stage and output-piece folders of this run's earlier settings, so `_work/` does not grow with
    every re-tune; `keep` holds the folders of the settings just run."""
    kept = {Path(path).name for path in keep}
    for entry in RunDir(out).work.iterdir():
        stale = entry.name.startswith(("read-", "stage", "output-")) and entry.name not in kept
        if stale and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
