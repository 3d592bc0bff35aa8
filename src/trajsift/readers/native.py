"""trajsift's own records: JSONL/JSON of `Trajectory` dicts and trajsift Parquet tables."""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec

from trajsift import reasons
from trajsift.arrow import ROW_KEY, from_row
from trajsift.errors import FormatError
from trajsift.readers.atif import VERSION_PREFIX as ATIF_VERSION
from trajsift.readers.base import Origin
from trajsift.schema import Trajectory


class NativeReader:
    name: ClassVar[str] = "trajsift"
    description: ClassVar[str] = "trajsift's own JSONL / Parquet records (lossless round trip)"

    def sniff(self, record: dict[str, Any]) -> bool:
        if ROW_KEY in record:
            return True
        version = record.get("schema_version")  # wrong field types: parse says wrong_schema
        return version is not None and "id" in record and not str(version).upper().startswith(ATIF_VERSION)

    def parse(self, record: dict[str, Any], origin: Origin) -> list[Trajectory]:
        try:
            if ROW_KEY in record:
                return [from_row(record[ROW_KEY])]
            data = record.get("trajectory", record) if "trajectory" in record and "id" not in record else record
            return [Trajectory.from_dict(data)]
        except (msgspec.ValidationError, ValueError, TypeError) as exc:
            raise FormatError(reasons.WRONG_SCHEMA, str(exc)) from exc
