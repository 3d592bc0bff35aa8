"""Read any mix of inputs into a stream of `Trajectory` records and `Quarantined` rows.

Memory stays flat: one file (or one JSONL line, one Parquet batch, one folder) at a time.
Nothing found inside the inputs raises: decoding failures, reader bugs (in `sniff`, `claims` or
`parse`) and unsafe paths all become quarantined rows with a reason code. Only an explicit input
that does not exist raises `InputError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import msgspec

from trajsift import reasons
from trajsift.errors import ConfigError, FormatError
from trajsift.readers.admit import inadmissible
from trajsift.readers.base import FolderReader, Origin, Reader
from trajsift.readers.registry import FOLDER_READERS, READERS
from trajsift.readers.sources.inputs import iter_entries
from trajsift.readers.sources.records import ReadLimits, iter_records, quarantine
from trajsift.readers.sources.units import Entry, FileEntry, FolderEntry, RejectedEntry, Unit
from trajsift.schema import Quarantined, Trajectory

if TYPE_CHECKING:
    from trajsift.readers.labels import Labels

Item = Trajectory | Quarantined


@dataclass
class ReadOptions:
    format: str | None = None
    """Force one reader by name instead of sniffing each record."""
    limits: ReadLimits = field(default_factory=ReadLimits)
    on_entry: Callable[[Entry], None] | None = None
    """Called once per file or folder unit (progress reporting)."""
    labels: Labels | None = None
    """Outcome labels (`trajsift.readers.labels.load_labels`) set on every trajectory read."""


class TrajectoryReader:
    """Holds reader instances; `read(inputs)` yields trajectories and quarantined rows in order."""

    def __init__(self, options: ReadOptions | None = None) -> None:
        self.options = options or ReadOptions()
        forced = self.options.format
        if forced and forced not in READERS and forced not in FOLDER_READERS:
            known = ", ".join(sorted({*READERS, *FOLDER_READERS}))
            raise ConfigError(f"unknown format {forced!r}; known: {known}")
        self.record_readers: list[Reader] = [cls() for name, cls in READERS.items() if forced in (None, name)]
        self.folder_readers: list[FolderReader] = [
            cls() for name, cls in FOLDER_READERS.items() if forced in (None, name)
        ]

    def claims_folder(self, names: set[str]) -> bool:
        return self._folder_reader(names) is not None

    def _folder_reader(self, names: set[str]) -> FolderReader | None:
        for reader in self.folder_readers:
            try:
                if reader.claims(names):
                    return reader
            except Exception:  # noqa: BLE001 - a claim check must never take the run down
                continue
        return None

    def read(self, inputs: list[str]) -> Iterator[Item]:
        return self.read_units(iter_entries(inputs, self.claims_folder, self.options.limits))

    def read_units(self, units: Iterable[Unit]) -> Iterator[Item]:
        """Read units listed by `iter_entries` (or a contiguous run of them: a worker's share of a read)."""
        labels = self.options.labels
        for item in self._read_units(units):
            yield labels.apply(item) if labels is not None and isinstance(item, Trajectory) else item

    def _read_units(self, units: Iterable[Unit]) -> Iterator[Item]:
        for unit in units:
            if isinstance(unit, RejectedEntry):
                yield quarantine(unit.reason, unit.path, unit.detail)
                continue
            if self.options.on_entry:
                self.options.on_entry(unit)
            if isinstance(unit, FolderEntry):
                yield from self._read_folder(unit)
            else:
                yield from self._read_file(unit)

    def _read_folder(self, folder: FolderEntry) -> Iterator[Item]:
        reader = self._folder_reader(folder.names())
        if reader is None:
            yield quarantine(reasons.UNKNOWN_FORMAT, folder.path, "no folder reader claims it any more")
            return
        yield from _guarded(lambda: reader.parse_folder(folder), folder.path)

    def _read_file(self, entry: FileEntry) -> Iterator[Item]:
        for locator, record, bad in _decoded(entry, self.options.limits):
            if bad is not None:
                yield bad
                continue
            if not isinstance(record, dict):
                yield quarantine(reasons.NOT_AN_OBJECT, locator, f"top-level {type(record).__name__}")
                continue
            reader = self._pick(record)
            if reader is None:
                yield quarantine(reasons.UNKNOWN_FORMAT, locator, f"keys: {sorted(map(str, record))[:12]}")
                continue
            origin = Origin(path=entry.path, locator=locator)
            yield from _guarded(lambda: reader.parse(record, origin), locator)  # noqa: B023 - called at once

    def _pick(self, record: dict) -> Reader | None:
        if self.options.format and len(self.record_readers) == 1:
            return self.record_readers[0]
        for reader in self.record_readers:
            try:
                if reader.sniff(record):
                    return reader
            except Exception:  # noqa: BLE001 - a sniffer must never take the run down
                continue
        return None


def _decoded(entry: FileEntry, limits: ReadLimits) -> Iterator[tuple]:
    """`iter_records`, with any unexpected decoding failure turned into a quarantined row."""
    try:
        yield from iter_records(entry, limits)
    except RecursionError:
        yield entry.path, None, quarantine(reasons.NESTING_TOO_DEEP, entry.path, "structure too deep to decode")
    except Exception as exc:  # noqa: BLE001 - a decoder bug must not end the run
        yield entry.path, None, quarantine(reasons.UNREADABLE_FILE, entry.path, f"{type(exc).__name__}: {exc}")


def _guarded(parse: Callable[[], list[Trajectory]], where: str) -> Iterator[Item]:
    """Run a reader; turn any failure into a quarantined row with a reason code."""
    try:
        produced = list(parse() or [])
    except FormatError as exc:
        yield quarantine(exc.reason, where, exc.detail)
        return
    except (msgspec.ValidationError, KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        yield quarantine(reasons.WRONG_SCHEMA, where, f"{type(exc).__name__}: {exc}")
        return
    except RecursionError:
        yield quarantine(reasons.NESTING_TOO_DEEP, where, "structure too deep to walk")
        return
    except Exception as exc:  # noqa: BLE001 - unknown reader bug: quarantine, never crash
        yield quarantine(reasons.READER_ERROR, where, f"{type(exc).__name__}: {exc}")
        return
    if not produced:
        yield quarantine(reasons.EMPTY_INPUT, where, "record holds no trajectory")
    for trajectory in produced:
        yield inadmissible(trajectory, where) or trajectory


def read_trajectories(inputs: list[str], options: ReadOptions | None = None) -> Iterator[Item]:
    """Convenience wrapper: `TrajectoryReader(options).read(inputs)`."""
    return TrajectoryReader(options).read(inputs)
