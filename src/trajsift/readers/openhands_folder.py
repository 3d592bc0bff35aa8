"""OpenHands run folders of LLM completion logs: one file per LLM call, each a longer copy of the
same conversation (`llm_completions/<instance_id>/<model>-<unix time>.json`). The folder is one
trajectory: the latest call's file, which holds every earlier message, is parsed; the count of
files it supersedes is kept in `metadata.completion_files` and is the run's LLM call count for its exit
status (a condensed conversation holds fewer turns than calls were made).
"""

from __future__ import annotations

import re
from typing import ClassVar

from trajsift import reasons
from trajsift.errors import FormatError
from trajsift.readers.base import Origin
from trajsift.readers.openhands import OpenHandsCompletionReader
from trajsift.readers.sources.records import decode_json
from trajsift.readers.sources.units import FolderEntry
from trajsift.schema import Trajectory

COMPLETION_NAME = re.compile(r"^.+-(\d{9,11}(?:\.\d+)?)\.json$")
MAX_FILE_BYTES = 512 * 1024 * 1024


def _stamp(name: str) -> float | None:
    match = COMPLETION_NAME.match(name)
    return float(match.group(1)) if match else None


class OpenHandsFolderReader:
    name: ClassVar[str] = "openhands-completions-folder"
    description: ClassVar[str] = "OpenHands folders of per-call completion logs, collapsed to the latest call"

    def claims(self, names: set[str]) -> bool:
        stamped = [n for n in names if _stamp(n) is not None]
        return len(stamped) >= 2 and len(stamped) == len([n for n in names if n.endswith(".json")])

    def parse_folder(self, folder: FolderEntry) -> list[Trajectory]:
        stamped = sorted((_stamp(n), n) for n in folder.names() if _stamp(n) is not None)
        _, latest = stamped[-1]
        entry = folder.get(latest)
        assert entry is not None
        origin, record, bad = decode_json(entry.read_bytes(MAX_FILE_BYTES), entry.path)
        if bad is not None:
            raise FormatError(bad.reason, f"latest completion file {latest}: {bad.detail}")
        reader = OpenHandsCompletionReader()
        if not isinstance(record, dict) or not reader.sniff(record):
            raise FormatError(reasons.UNKNOWN_FORMAT, f"{latest} is not an OpenHands completion log")
        trajectories = reader.parse(record, Origin(path=entry.path, locator=origin), calls=len(stamped))
        for trajectory in trajectories:
            trajectory.metadata = {**trajectory.metadata, "completion_files": len(stamped)}
        return trajectories
