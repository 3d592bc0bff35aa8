"""The malformed-input corpus: each kind builds one bad unit between valid records and says what a run
must report. Used by `tests/test_corpus.py` (synthetic valid records) and `bench/malformed_real.py`
(real trajectories between the bad units).

A kind is `build(root, valid) -> Case`: it writes files under the empty folder `root`, using the valid
records `valid` (at least `VALID_NEEDED` distinct JSON objects, one line each, any reader's format),
and returns how many valid records the run must read and exactly which quarantine reasons it must show.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

VALID_NEEDED = 6


@dataclass(frozen=True)
class Case:
    valid: int
    """Valid records the run must read (those around the bad unit and any inside it)."""
    reasons: frozenset[str] = frozenset()
    """Exactly the quarantine reasons the run must show (the valid records show none)."""
    inputs: list[str] = field(default_factory=list)
    """Paths to pass (relative to root); empty: the folder itself."""


Kind = Callable[[Path, list[bytes]], Case]


def case(valid: int, *reasons: str, inputs: list[str] | None = None) -> Case:
    return Case(valid=valid, reasons=frozenset(reasons), inputs=inputs or [])


def lines(*records: bytes) -> bytes:
    return b"".join(record + b"\n" for record in records)


def between_lines(bad: bytes, reason: str, suffix: str = ".jsonl") -> Kind:
    """A JSONL file: valid, the bad line, valid; the bad line is quarantined with `reason`."""

    def build(root: Path, valid: list[bytes]) -> Case:
        data = lines(valid[0], bad, valid[1])
        (root / f"runs{suffix}").write_bytes(gzip.compress(data, 1) if suffix.endswith(".gz") else data)
        return case(2, reason)

    return build


def around(name: str, make: Callable[[list[bytes]], bytes], valid_inside: int, *reasons: str) -> Kind:
    """`a.jsonl` (two valid records), the bad file `name` (may hold `valid_inside` valid ones), `z.jsonl`."""

    def build(root: Path, valid: list[bytes]) -> Case:
        valid_files(root, valid)
        path = root / os.fsdecode(name.encode("utf-8", "surrogateescape"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(make(valid[3:]))
        return case(3 + valid_inside, *reasons)

    return build


def valid_files(root: Path, valid: list[bytes]) -> int:
    """`a.jsonl` (two valid records) and `z.jsonl` (one): the valid files around a bad one; returns 3."""
    (root / "a.jsonl").write_bytes(lines(valid[0], valid[1]))
    (root / "z.jsonl").write_bytes(lines(valid[2]))
    return 3


class Raw(bytes):
    """JSON text put in place as it is (nesting deeper than Python's encoder goes)."""


def with_value(valid_line: bytes, path: str, value: object) -> bytes:
    """`valid_line` (a trajsift-native record) with the field at dotted `path` set to `value`."""
    data = orjson.loads(valid_line)
    target = data
    *parents, leaf = path.split(".")
    for parent in parents:
        target = target[int(parent)] if isinstance(target, list) else target.setdefault(parent, {})
    target[leaf] = "@@RAW@@" if isinstance(value, Raw) else value
    text = json.dumps(data, separators=(",", ":")).encode()  # json, not orjson: it writes ints past 64 bits
    return text.replace(b'"@@RAW@@"', value) if isinstance(value, Raw) else text


def nested(depth: int) -> Raw:
    return Raw(b'{"k":' * depth + b"{}" + b"}" * depth)


def tar_bytes(members: list[tuple[str, bytes]], mode: str = "w") -> bytes:
    """A tar archive (`mode` w, w:gz, w:bz2, w:xz) of regular-file members."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def synthetic_record(name: str) -> bytes:
    """A valid trajsift-native record: the valid records of the unit tests, and the base of bad values."""
    from trajsift.schema import Action, ActionType, Observation, Step, TaskRef, Trajectory

    step = Step(
        index=0,
        thought="look at the failing test",
        action=Action(type=ActionType.RUN_COMMAND, tool="bash", command="pytest tests/test_a.py"),
        observation=Observation(text="1 failed", exit_code=1),
    )
    return Trajectory(id=name, task=TaskRef(task_id="octo__repo-1"), steps=[step]).to_json()


def all_kinds(native: bytes) -> dict[str, Kind]:
    """Every kind; `native` is one valid trajsift-native record, the base of the bad-value kinds."""
    from corpus_files import FILE_KINDS
    from corpus_lines import line_kinds

    kinds = {**line_kinds(native), **FILE_KINDS}
    assert len(kinds) == len(line_kinds(native)) + len(FILE_KINDS), "kind names must be unique"
    return kinds
