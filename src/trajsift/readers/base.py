"""What a reader is: sniff a record (or folder) of one native format and parse it.

Readers never filter: anything they cannot parse raises `FormatError` with a reason code and
becomes a quarantined row. Helpers shared by several readers live here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from trajsift import reasons
from trajsift.errors import FormatError
from trajsift.readers.sources.units import FolderEntry

TASK_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*?__[A-Za-z0-9.-]+?-\d+")
NAME_SUFFIXES = (".gz", ".zst", ".json", ".jsonl", ".traj")


@dataclass(frozen=True)
class Origin:
    """Where a record came from: `path` names the file (`archive:member`), `locator` the row."""

    path: str
    locator: str = ""

    @property
    def display(self) -> str:
        return self.locator or self.path

    def task_id_from_path(self) -> str:
        """A SWE-bench style id (`owner__repo-123`) in the file or folder names, innermost first."""
        parts = [_strip_suffixes(p) for p in reversed(re.split(r"[/:\\]", self.path))]
        for part in parts:
            if TASK_ID_PATTERN.fullmatch(part):
                return part
        for part in parts:  # AutoCodeRover style: `<task_id>_<date>_<time>`
            match = TASK_ID_PATTERN.match(part)
            if match and part[match.end()] == "_":
                return match.group(0)
        return ""

    def stable_id(self, *parts: str) -> str:
        """A deterministic id from the last path components (portable across machines)."""
        tail = "/".join(re.split(r"[/\\]", self.display)[-4:])
        return hashlib.sha1("\x1f".join((tail, *parts)).encode()).hexdigest()[:12]


def _strip_suffixes(name: str) -> str:
    while name.endswith(NAME_SUFFIXES):
        name = name[: name.rfind(".")]
    return name


def make_id(origin: Origin, task_id: str, *parts: str) -> str:
    """`<task_id>/<digest>` for records without an id of their own."""
    digest = origin.stable_id(*parts)
    return f"{task_id}/{digest}" if task_id else digest


class Reader(Protocol):
    """A record reader: one JSON object (a file, a JSONL line or a table row) per call."""

    name: ClassVar[str]
    description: ClassVar[str]

    def sniff(self, record: dict[str, Any]) -> bool:
        """True if the record is in this reader's format. Must be cheap and never raise."""
        ...

    def parse(self, record: dict[str, Any], origin: Origin) -> list[Any]:
        """Return the trajectories in the record (usually one). Raise `FormatError` when unusable."""
        ...


class FolderReader(Protocol):
    """A reader for formats stored as one folder per trajectory."""

    name: ClassVar[str]
    description: ClassVar[str]

    def claims(self, names: set[str]) -> bool:
        """True if a folder holding these file names (compression suffix removed) is a unit."""
        ...

    def parse_folder(self, folder: FolderEntry) -> list[Any]: ...


def require(condition: bool, detail: str, reason: str = reasons.WRONG_SCHEMA) -> None:
    if not condition:
        raise FormatError(reason, detail)


def as_text(value: Any) -> str:
    """Message content as text: strings as-is, typed block lists joined, anything else JSON-ish."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(filter(None, (_block_text(block) for block in value)))
    if isinstance(value, dict):
        return _block_text(value)
    return str(value)


def _block_text(block: Any) -> str:
    if isinstance(block, str):
        return block
    if not isinstance(block, dict):
        return str(block)
    for key in ("text", "content", "output", "thinking"):
        if key in block:
            return as_text(block[key])
    return ""


def number(value: Any, kind: type) -> Any:
    """`kind(value)` for an int or float (a bool is not a number here), else None."""
    return kind(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def joined(*parts: str) -> str:
    """The non-empty parts as paragraphs (a step's reasoning, then its message)."""
    return "\n\n".join(part for part in parts if part)


def summed(mappings: Iterable[dict[str, Any]], keys: Iterable[str]) -> dict[str, int]:
    """Per key, the sum of its integer values over `mappings` (usage blocks); other values count as 0."""
    totals = dict.fromkeys(keys, 0)
    for mapping in mappings:
        for key in totals:
            totals[key] += number(mapping.get(key), int) or 0
    return totals


def first(mapping: dict[str, Any], *keys: str, default: Any = None) -> Any:
    """The first present, non-None value among `keys`."""
    for key in keys:
        value = mapping.get(key)
        if value is not None:
            return value
    return default
