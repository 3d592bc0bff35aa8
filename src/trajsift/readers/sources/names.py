"""Names of input files: compression and record suffixes (any letter case), what is not read and why,
and how a name that is not UTF-8 is shown."""

from __future__ import annotations

from trajsift import reasons
from trajsift.readers.sources.streams import COMPRESSION_SUFFIXES, UNSUPPORTED_COMPRESSIONS

COMPRESSIONS = tuple(COMPRESSION_SUFFIXES)
RECORD_SUFFIXES = (".json", ".jsonl", ".ndjson", ".traj", ".parquet", ".arrow")
TEXT_SUFFIXES = (".diff", ".patch", ".txt", ".md", ".log")
ARCHIVE_SUFFIXES = (".tar", ".tgz", ".tbz2", ".tbz", ".txz", ".tzst")
MARKER_NAMES = frozenset({".gitattributes", ".gitignore", ".ds_store", "thumbs.db", "dataset_dict.json"})
"""Files that describe a folder (Hugging Face, git, desktop) and are listed as `marker_file`, never read."""


KNOWN_ARTIFACTS = frozenset(
    {
        "all_preds.jsonl",
        "preds.json",
        "predictions.jsonl",
        "predictions_for_swebench.json",
        "results.json",
        "report.json",
        "final_report.json",
        "stats.json",
        "dataset_info.json",
        "state.json",
    }
)
"""Harness and run files found beside trajectories (SWE-bench predictions, reports, Hugging Face dataset
markers): reported as one `not_a_trajectory` row per file when met while walking a folder, never read."""


def is_artifact(name: str) -> bool:
    return strip_compression(name)[0].lower() in KNOWN_ARTIFACTS


def strip_compression(name: str) -> tuple[str, str]:
    """Return (name without compression suffix, codec or ''); suffixes match in any letter case."""
    lower = name.lower()
    for suffix, codec in COMPRESSION_SUFFIXES.items():
        if lower.endswith(suffix):
            return name[: -len(suffix)], codec
    return name, ""


def record_kind(name: str) -> str:
    """The record suffix of a file name (`.jsonl`, ...) in lower case, compression removed; '' if none."""
    base = strip_compression(name)[0].lower()
    return next((suffix for suffix in RECORD_SUFFIXES if base.endswith(suffix)), "")


def is_record_file(name: str) -> bool:
    return bool(record_kind(name))


def is_archive(name: str) -> bool:
    base, _ = strip_compression(name)
    return base.lower().endswith(ARCHIVE_SUFFIXES) or name.lower().endswith(ARCHIVE_SUFFIXES)


def is_text_file(name: str) -> bool:
    return strip_compression(name)[0].lower().endswith(TEXT_SUFFIXES)


def not_read_reason(name: str) -> tuple[str, str]:
    """Why a file met while walking is not read: (reason code, detail)."""
    lower = name.lower()
    if lower in MARKER_NAMES or lower.startswith("._"):
        return reasons.MARKER_FILE, "folder marker file; not read"
    stripped = lower
    for suffix in UNSUPPORTED_COMPRESSIONS:
        if lower.endswith(suffix):
            return reasons.UNSUPPORTED_COMPRESSION, f"compression {suffix} is not supported; decompress it first"
    return reasons.NOT_A_TRAJECTORY_FILE, f"suffix of {stripped.rsplit('/', 1)[-1]!r} is not a trajectory format"


def printable(text: str) -> str:
    """`text` with lone surrogates (bytes of a name that is not UTF-8) shown as `\\xNN` escapes."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
