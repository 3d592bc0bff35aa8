"""`trajsift verify` (the correctness stage alone over trajectories) and `trajsift tasks validate`."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from trajsift.cli.errors import fail_on_error
from trajsift.cli.progress import RichProgress
from trajsift.cli.run_cmd import ADDRESS_HELP, EXECUTOR_HELP
from trajsift.columns import TESTS
from trajsift.config import Recipe, load_recipe
from trajsift.errors import ConfigError
from trajsift.run import run_pipeline
from trajsift.rundir import Decision, RunDir

STAGE = "correctness"
CHECK = TESTS
COLUMNS = ("verdict", "reason", "confidence", "f2p_passed", "f2p_failed", "p2p_passed", "p2p_failed", "duration_s")

NETWORK_HELP = "Let the tests reach the network (the sandbox shares the host's network); off by default."
tasks_app = typer.Typer(no_args_is_help=True, help="Task files: validation of reference patches.")


def parse_repos(items: list[str] | None) -> dict[str, str]:
    """`owner/name=PATH` items -> {owner/name: absolute PATH}."""
    repos = {}
    for item in items or []:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise ConfigError(f"--repos expects owner/name=PATH, got {item!r}")
        repos[name.strip()] = str(Path(path).expanduser().resolve())
    return repos


def correctness_recipe(tasks: str, params: dict[str, Any]) -> Recipe:
    """The default recipe's correctness stage alone, with `params` for its check."""
    default = load_recipe()
    stage = next(s for s in default.stages if s.name == STAGE)
    checks = [c.model_copy(update={"params": {**c.params, **params}}) if c.id == CHECK else c for c in stage.checks]
    return Recipe(tasks=tasks, stages=[stage.model_copy(update={"checks": checks})])


def verify(
    trajectories: list[str] = typer.Argument(..., help="Trajectory files or folders."),
    tasks: str = typer.Option(..., "--tasks", help="Task file (trajsift tasks or SWE-bench instances)."),
    out: Path = typer.Option(Path("trajsift-verify"), "--out", "-o", help="Output directory."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Worker processes."),
    repos: list[str] = typer.Option(None, "--repos", help="Local clone of a repository: owner/name=PATH."),
    timeout: float = typer.Option(1800, "--timeout", help="Seconds allowed for one test run."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Ignore cached verdicts."),
    sandbox: str = typer.Option("bubblewrap", "--sandbox", help="Sandbox backend: bubblewrap, docker or podman."),
    network: bool = typer.Option(False, "--network", help=NETWORK_HELP),
    executor: str = typer.Option("local", "--executor", help=EXECUTOR_HELP),
    address: str | None = typer.Option(None, "--address", help=ADDRESS_HELP),
) -> None:
    """Run each trajectory's final patch against its task's tests in the sandbox; print the verdicts.
    With `--executor ray` every (task, patch) pair is verified in its own Ray task."""
    console = Console(stderr=True)
    with fail_on_error():
        params = {"repos": parse_repos(repos), "timeout_s": timeout, "cache": not no_cache, "sandbox": sandbox}
        params["network"] = network
        recipe = correctness_recipe(tasks, params)
        with RichProgress(console) as progress:
            run_pipeline(trajectories, out, recipe, executor, workers=workers, address=address, progress=progress)
        print_verdicts(Console(), read_rows(out))


def read_rows(out: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    wanted = ["trajectory_id", "task_id", *(f"{CHECK}.{c}" for c in COLUMNS)]
    rows: list[dict[str, Any]] = []
    for decision in (Decision.KEEP, Decision.REVIEW, Decision.DROP):
        path = RunDir(out).output(decision)
        if path.exists():
            present = set(pq.read_schema(path).names)
            rows += pq.read_table(path, columns=[c for c in wanted if c in present]).to_pylist()
    return sorted(rows, key=lambda row: (row.get("task_id") or "", row["trajectory_id"]))


def print_verdicts(console: Console, rows: list[dict[str, Any]]) -> None:
    table = Table("trajectory", "task", "verdict", "reason", "F2P", "P2P", "conf.", "s", title="Verdicts")
    for row in rows:
        get = lambda c, r=row: r.get(f"{CHECK}.{c}")  # noqa: E731
        if get("verdict") is None:
            table.add_row(escape(row["trajectory_id"]), escape(row.get("task_id") or ""), "-", "not verified")
            continue
        confidence = "" if get("confidence") is None else f"{get('confidence'):.2f}"
        table.add_row(
            escape(row["trajectory_id"]),
            escape(row.get("task_id") or ""),
            get("verdict"),
            escape(get("reason") or ""),
            f"{get('f2p_passed')}/{get('f2p_passed') + get('f2p_failed')}",
            f"{get('p2p_passed')}/{get('p2p_passed') + get('p2p_failed')}",
            confidence,
            f"{get('duration_s') or 0:.1f}",
        )
    console.print(table)
    counts = Counter(row.get(f"{CHECK}.verdict") or "not verified" for row in rows)
    console.print(", ".join(f"{kind} {count}" for kind, count in sorted(counts.items())))


@tasks_app.command("validate")
def validate(
    tasks: str = typer.Argument(..., help="Task file (trajsift tasks or SWE-bench instances)."),
    runs: int = typer.Option(3, "--runs", "-k", min=1, help="Runs of each reference patch."),
    repos: list[str] = typer.Option(None, "--repos", help="Local clone of a repository: owner/name=PATH."),
    only: list[str] = typer.Option(None, "--task", help="Validate only these task ids."),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help="Harness cache (default: the user cache)."),
    before: bool = typer.Option(
        True, "--before/--no-before", help="Also run the tests without the fix: FAIL_TO_PASS passing there is invalid."
    ),
    network: bool = typer.Option(False, "--network", help=NETWORK_HELP),
) -> None:
    """Run each task's reference patch k times; mark tasks whose reference does not always pass, or whose
    FAIL_TO_PASS tests already pass without it."""
    from trajsift.harness.cache import default_cache_dir
    from trajsift.harness.validate import validate_tasks
    from trajsift.harness.verify import TEST_LIMITS, Verifier, VerifyOptions
    from trajsift.tasks import load_tasks

    console = Console()
    with fail_on_error():
        loaded = load_tasks(tasks)
        selected = [loaded[t] for t in only] if only else list(loaded.values())
        options = VerifyOptions(
            cache_dir=cache_dir or default_cache_dir() / "harness",
            task_dir=Path(tasks).resolve().parent,
            local_repos={name: Path(path) for name, path in parse_repos(repos).items()},
            limits=dataclasses.replace(TEST_LIMITS, network=network),
        )
        verifier = Verifier(options)
        verifier.sandbox()  # no sandbox here: stop now (exit 2), not one `unavailable` line per task
        results = validate_tasks(verifier, selected, runs, lambda r: print_validation(console, r), before)
        counts = Counter(r.status for r in results)
        console.print(", ".join(f"{status} {count}" for status, count in sorted(counts.items())))


def print_validation(console: Console, result: Any) -> None:
    detail = f" {escape(result.detail)}" if result.detail else ""
    console.print(f"{escape(result.task_id)}: [bold]{result.status}[/]{detail} ({result.seconds:.1f}s)")
