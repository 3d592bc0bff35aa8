"""The run-directory contract: file names spelled only in `rundir.py`, one `Decision`, one `load_run`."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

import trajsift
from trajsift import files
from trajsift.errors import InputError
from trajsift.rundata import load_run
from trajsift.rundir import PARTS, Decision, RunDir

SRC = Path(trajsift.__file__).parent
RUN = RunDir("/runs/r1")
NAMES = {path.name for path in [*RUN.run_outputs(), *RUN.markers(), RUN.live, RUN.final, RUN.review_db]}
NAMES |= {RUN.work.name, RUN.identity.name}


def _string_constants(tree: ast.AST) -> list[tuple[int, str]]:
    """String literals of a module, docstrings left out (they may describe the files)."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            found.append((node.lineno, node.value))
    return found


def test_the_names_on_disk_are_unchanged():
    assert [RUN.output(part).name for part in PARTS] == ["kept.parquet", "rejected.parquet", "review.parquet"]
    assert [RUN.output(d) for d in Decision] == [RUN.output(p) for p in PARTS]
    assert RUN.output_jsonl(Decision.DROP) == Path("/runs/r1/rejected.jsonl")
    assert (RUN.stats.name, RUN.info.name, RUN.quarantine.name) == ("stats.json", "run.json", "quarantine.jsonl")
    assert (RUN.progress.name, RUN.live.name, RUN.alerts.name) == ("progress.json", "live.json", "alerts.json")
    assert RUN.identity == Path("/runs/r1/_work/RUN.json") and RUN.cache == Path("/runs/r1/_work/cache")
    with pytest.raises(ValueError, match="unknown output part"):
        RUN.output("../stats")


def test_decision_values_are_the_strings_written_to_disk():
    assert [d.value for d in Decision] == ["keep", "drop", "review"]
    assert [d.part for d in Decision] == list(PARTS)
    assert Decision("drop") is Decision.DROP and Decision.KEEP == "keep" and f"{Decision.REVIEW}" == "review"
    assert orjson.loads(orjson.dumps({"d": Decision.DROP})) == {"d": "drop"}


FOREIGN = {("readers/sources/names.py", "stats.json")}
"""Names that mean another tool's file: `stats.json` among the harness files a folder walk does not read."""


def test_no_module_spells_an_output_file_name_except_rundir():
    """Code names a run's files through `RunDir`; prose (docstrings, messages) may mention them."""
    offenders = []
    for module in sorted(SRC.rglob("*.py")):
        where = str(module.relative_to(SRC))
        if module.name == "rundir.py" or "executors" in module.parts:  # `_work/` inside is the executor's own
            continue
        for line, value in _string_constants(ast.parse(module.read_text(encoding="utf-8"))):
            named = {name for name in NAMES if value == name or value.endswith("/" + name)}
            if named - {name for path, name in FOREIGN if path == where}:
                offenders.append(f"{where}:{line}: {value!r}")
    assert not offenders, "name run files through RunDir:\n" + "\n".join(offenders)


def test_load_run_requires_a_run_unless_partial(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        load_run(tmp_path / "missing")
    with pytest.raises(InputError, match="stats.json not found"):
        load_run(tmp_path)
    going_on = load_run(tmp_path, partial=True)
    assert going_on.key == tmp_path.name and going_on.tables == {} and going_on.info == {}
    RunDir(tmp_path).stats.write_bytes(b"[1, 2]")
    with pytest.raises(InputError, match="does not hold a JSON object"):
        load_run(tmp_path)


def test_atomic_writes_set_their_mode_and_leave_the_umask_alone(tmp_path):
    before = os.umask(0o077)
    try:
        files.write_json(tmp_path / "a.json", {"x": 1})
        assert os.umask(0o077) == 0o077  # writing did not change the process umask
    finally:
        os.umask(before)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == files.FILE_MODE
    assert files.read_json(tmp_path / "a.json") == {"x": 1}


def test_the_kill_point_is_called_around_each_write_only_while_installed(tmp_path):
    calls = []
    with files.kill_point(lambda: calls.append(sorted(p.name for p in tmp_path.iterdir()))):
        files.write_bytes(tmp_path / "b.bin", b"1")
    files.write_bytes(tmp_path / "c.bin", b"2")
    files.write_bytes(tmp_path / "d.bin", b"3", checkpointed=False)
    assert len(calls) == 2  # before and after the rename of the one write made while installed
    assert "b.bin" not in calls[0] and "b.bin" in calls[1]
    assert files.set_kill_point(None) is None


def test_reading_a_run_needs_no_serve_extra():
    """`trajsift report` reads runs through `rundata`: nothing of the `serve` extra (SQLAlchemy, FastAPI)."""
    code = "import sys, trajsift.report, trajsift.rundata; print(sorted({'sqlalchemy', 'fastapi'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"
