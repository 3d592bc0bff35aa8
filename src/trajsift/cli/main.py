"""`trajsift` entry point: one typer app; each subcommand family lives in its own module."""

from __future__ import annotations

import typer

from trajsift.cli import (
    checks_cmd,
    convert_cmd,
    dedup_cmd,
    demo_cmd,
    export_cmd,
    inspect_cmd,
    plan_cmd,
    prepare_cmd,  # noqa: F401 - registers `tasks prepare` on verify_cmd.tasks_app
    readers_cmd,
    report_cmd,
    reward_cmd,
    run_cmd,
    serve_cmd,
    verify_cmd,
)

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Quality pipeline for coding-agent trajectories.")
app.add_typer(readers_cmd.readers_app, name="readers")
app.add_typer(checks_cmd.checks_app, name="checks")
app.add_typer(verify_cmd.tasks_app, name="tasks")
app.command("run")(run_cmd.run)
app.command("inspect")(inspect_cmd.inspect)
app.command("convert")(convert_cmd.convert)
app.command("export")(export_cmd.export)
app.command("demo")(demo_cmd.demo)
app.command("report")(report_cmd.report)
app.command("reward")(reward_cmd.reward)
app.command("plan")(plan_cmd.plan)
app.command("dedup")(dedup_cmd.dedup)
app.command("verify")(verify_cmd.verify)
app.command("serve")(serve_cmd.serve)
app.command("review")(serve_cmd.serve)
app.command("dashboard")(serve_cmd.serve)
app.command("finalize")(serve_cmd.finalize)
app.add_typer(serve_cmd.users_app, name="users")
