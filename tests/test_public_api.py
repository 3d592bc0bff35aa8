"""The public API is exactly six names, loaded lazily; `import trajsift` and `trajsift --help` stay light; the
CLI's lazy command table agrees with the commands; the exit codes are documented once, in full."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import trajsift
from trajsift.cli.errors import ExitCode

PUBLIC = ["Check", "GlobalCheck", "Recipe", "Stage", "load_recipe", "run_pipeline"]
HEAVY = ["pyarrow", "numpy", "pandas", "fastapi", "starlette", "ray", "torch"]
SOURCE = str(Path(trajsift.__file__).parent.parent)


def _loaded_after(code: str) -> dict[str, list[str]]:
    """Run `code` in a fresh interpreter; report which heavy modules and how many trajsift modules it loaded."""
    report = (
        "import json, sys\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "mine = sorted(m for m in sys.modules if m.startswith('trajsift'))\n"
        "print(json.dumps({'heavy': heavy, 'trajsift': mine}))\n"
    )
    script = code + "\n" + report
    env = {**os.environ, "PYTHONPATH": SOURCE + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_public_api_is_exactly_these_names():
    assert sorted(trajsift.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(trajsift, name).__name__ == name
    with pytest.raises(AttributeError):
        trajsift.read_trajectories  # noqa: B018 - not public: imported from trajsift.readers.read


def test_public_names_are_the_real_objects():
    from trajsift.checks.base import Check
    from trajsift.config import load_recipe
    from trajsift.stages import Stage

    assert trajsift.Check is Check and trajsift.Stage is Stage and trajsift.load_recipe is load_recipe
    assert isinstance(trajsift.load_recipe(), trajsift.Recipe)


def test_import_trajsift_loads_nothing_heavy():
    loaded = _loaded_after("import trajsift")
    assert loaded["heavy"] == [] and loaded["trajsift"] == ["trajsift", "trajsift.version"]


def test_trajsift_help_loads_nothing_heavy():
    code = (
        "import contextlib, io, sys\n"
        "sys.argv = ['trajsift', '--help']\n"
        "from trajsift.cli.main import app\n"
        "with contextlib.redirect_stdout(io.StringIO()) as shown, contextlib.suppress(SystemExit):\n"
        "    app()\n"
        "assert 'inspect' in shown.getvalue() and 'finalize' in shown.getvalue()\n"
    )
    loaded = _loaded_after(code)
    assert loaded["heavy"] == []
    assert not [m for m in loaded["trajsift"] if m.endswith("_cmd")]  # no command module imported to list them


def test_the_command_table_matches_the_commands():
    """Each help line of the lazy table is how the real command's own help begins."""
    from trajsift.cli.main import COMMANDS, load_command

    for name, (_, _, line) in COMMANDS.items():
        command = load_command(name)
        assert command.name == name
        assert " ".join((command.help or "").split()).startswith(line), name


def test_exit_codes_are_documented_in_the_cli_docstring_and_the_readme():
    from trajsift.cli import main

    readme = (Path(SOURCE).parent / "README.md").read_text(encoding="utf-8")
    documented = {int(code) for code in re.findall(r"^- (\d): ", main.__doc__ or "", re.M)}
    in_readme = {int(code) for code in re.findall(r"^\| (\d) \| ", readme, re.M)}
    assert documented == in_readme == {int(code) for code in ExitCode}
