"""`trajsift serve|review|dashboard RUN_DIR...`, `trajsift users add NAME`, `trajsift finalize RUN_DIR`.

FastAPI, SQLAlchemy and uvicorn are imported inside the commands only, so `import trajsift` and the
other commands stay light (they live in the optional `serve` extra).
"""

from __future__ import annotations

import getpass
import hashlib
from pathlib import Path

import typer
from rich.console import Console

from trajsift.cli.errors import ExitCode, fail, fail_on_error

users_app = typer.Typer(no_args_is_help=True, help="Reviewer accounts of the review app (stored in its database).")
MISSING_EXTRA = "the web app needs the `serve` extra: pip install 'trajsift[serve]'"


def _require_extra() -> None:
    try:
        import fastapi  # noqa: F401
        import sqlalchemy  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as error:
        fail(f"{MISSING_EXTRA} ({error})")


def _check_run_dirs(run_dirs: list[Path]) -> None:
    """A run folder, a folder of runs, or a folder a run will write to later; never a file."""
    for run_dir in run_dirs:
        if run_dir.exists() and not run_dir.is_dir():
            fail(f"{run_dir} is a file, not a run folder or a folder of runs")
        run_dir.mkdir(parents=True, exist_ok=True)


def allowed_hosts(host: str, port: int, extra: list[str]) -> tuple[str, ...]:
    """The Host header values to answer: the bound address (loopback names for a loopback bind) and `extra`."""
    names = {host}
    if host in ("127.0.0.1", "localhost", "::1", "0.0.0.0", "::"):
        names |= {"127.0.0.1", "localhost", "[::1]"}
    if host in ("0.0.0.0", "::"):  # every interface: this machine's own names and addresses
        names |= _machine_names()
    return tuple(sorted({f"{name}:{port}" for name in names} | set(extra)))


def _machine_names() -> set[str]:
    import socket

    names = {socket.gethostname(), socket.getfqdn()}
    try:
        names |= set(socket.gethostbyname_ex(socket.gethostname())[2])
    except OSError:
        pass
    return {name for name in names if name}


def serve(
    run_dirs: list[Path] = typer.Argument(
        ..., help="Run folders written by `trajsift run`, folders of runs, or folders a run will write to: watched."
    ),
    db: str | None = typer.Option(None, "--db", help="Database URL (default: sqlite in the first RUN_DIR)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8765, "--port", help="TCP port."),
    kept_share: float = typer.Option(0.0, "--kept-share", help="Extra stratified share of kept rows to review."),
    rejected_share: float = typer.Option(0.0, "--rejected-share", help="Extra stratified share of rejected rows."),
    double_share: float = typer.Option(0.1, "--double-share", help="Share of items reviewed by two reviewers."),
    secure_cookies: bool = typer.Option(
        False, "--secure-cookies", help="Served over HTTPS (behind a proxy): Secure `__Host-` cookies."
    ),
    allow_host: list[str] = typer.Option(
        None, "--allow-host", help="Extra Host header value to answer (e.g. review.example.org), repeatable."
    ),
) -> None:
    """Serve the review app and the dashboard for RUN_DIR (log in with an account from `trajsift users add`)."""
    console = Console(stderr=True)
    _require_extra()
    _check_run_dirs(run_dirs)
    import uvicorn

    from trajsift.dashboard.routes import dashboard_feature
    from trajsift.review.app import ReviewSettings, create_app
    from trajsift.review.queue import QueueConfig

    queue = QueueConfig(kept_share=kept_share, rejected_share=rejected_share, double_share=double_share)
    hosts = allowed_hosts(host, port, list(allow_host or []))
    instance = hashlib.sha256(f"{db or run_dirs[0].resolve()}|{host}|{port}".encode()).hexdigest()[:16]
    settings = ReviewSettings(queue=queue, cookie_secure=secure_cookies, instance=instance, allowed_hosts=hosts)
    if host in ("0.0.0.0", "::"):
        console.print("[yellow]Listening on every interface:[/] a name other than this machine's needs --allow-host")
    with fail_on_error():
        app = create_app(run_dirs, db, settings, features=[dashboard_feature()])  # the desk + the dashboard
    app.state.registry.watch(settings.watch_interval_s)
    if app.state.store.user_count() == 0:
        console.print(
            "[yellow]No reviewer accounts yet.[/] Create one with: "
            f"trajsift users add NAME{' --db ' + db if db else ''} --run-dir {run_dirs[0]}"
        )
    found = len(app.state.runs)
    console.print(f"Serving {found} run(s) (watching {len(run_dirs)} folder(s)) on http://{host}:{port}/")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _store(run_dir: Path | None, db: str | None):
    from trajsift.reviewdb import default_db_url, make_engine, make_sessionmaker
    from trajsift.web.accounts import Accounts

    if db is None and run_dir is None:
        raise typer.BadParameter("give --db URL or --run-dir RUN_DIR")
    return Accounts(make_sessionmaker(make_engine(db or default_db_url(run_dir))))


def _read_password(password_file: Path | None) -> str:
    if password_file is not None:
        return password_file.read_text(encoding="utf-8").rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise typer.BadParameter("passwords differ")
    return first


@users_app.command("add")
def users_add(
    name: str = typer.Argument(..., help="Login name."),
    run_dir: Path | None = typer.Option(None, "--run-dir", help="Run directory whose default database to use."),
    db: str | None = typer.Option(None, "--db", help="Database URL."),
    password_file: Path | None = typer.Option(None, "--password-file", help="Read the password from this file."),
) -> None:
    """Create a reviewer account (password prompted, or read from --password-file)."""
    _require_extra()
    store = _store(run_dir, db)
    try:
        store.add_user(name, _read_password(password_file))
    except ValueError as error:
        fail(str(error), ExitCode.FAILED)
    typer.echo(f"User {name} created.")


@users_app.command("list")
def users_list(
    run_dir: Path | None = typer.Option(None, "--run-dir", help="Run directory whose default database to use."),
    db: str | None = typer.Option(None, "--db", help="Database URL."),
) -> None:
    """List reviewer accounts."""
    _require_extra()
    for name in sorted(_store(run_dir, db).user_names().values()):
        typer.echo(name)


def finalize(
    run_dir: Path = typer.Argument(..., help="The run directory that was reviewed."),
    db: str | None = typer.Option(None, "--db", help="Database URL (default: sqlite in RUN_DIR)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Output Parquet (default: RUN_DIR/final.parquet)."),
) -> None:
    """Apply review decisions to the kept rows and write the final dataset with a `review_decision` column."""
    _require_extra()
    from trajsift.review.finalize import finalize_run
    from trajsift.review.registry import is_run_dir

    if not is_run_dir(run_dir):
        fail(f"{run_dir} is not a run directory (no stats.json / review.parquet)")

    with fail_on_error():
        result = finalize_run(run_dir, db, out)
    typer.echo(
        f"final: {result.rows} rows (accepted from review {result.accepted}, flagged {result.flagged}, "
        f"removed by review {result.removed}) -> {result.path}"
    )
