"""Malformed-input kinds of one JSONL line between two valid ones: bad syntax, bad text, bad values."""

from __future__ import annotations

from corpus import Kind, between_lines, nested, with_value
from trajsift import reasons as r
from trajsift.readers.sources.units import DEFAULT_MAX_RECORD_BYTES

INT64_MAX = 2**63 - 1


def bad_lines(native: bytes) -> dict[str, tuple[bytes, str]]:
    """Bad line -> its quarantine reason; `native` is a valid trajsift-native record (it has one step)."""
    return {**_syntax_kinds(native), **_value_kinds(native)}


def line_kinds(native: bytes) -> dict[str, Kind]:
    """Kinds with a bad line between two valid ones in a JSONL file."""
    kinds = {f"line_{name}": between_lines(bad, reason) for name, (bad, reason) in bad_lines(native).items()}
    kinds["line_in_gzip_invalid_json"] = between_lines(b"{oops", r.INVALID_JSON, ".jsonl.gz")
    too_long = _long_line(DEFAULT_MAX_RECORD_BYTES + 1)
    kinds["line_over_record_limit"] = between_lines(too_long, r.ROW_TOO_LARGE)
    kinds["line_over_record_limit_gz"] = between_lines(too_long, r.ROW_TOO_LARGE, ".jsonl.gz")
    return kinds


def _long_line(size: int) -> bytes:
    return b'{"id": "long", "metadata": {"x": "' + b"L" * size + b'"}}'


def _syntax_kinds(native: bytes) -> dict[str, tuple[bytes, str]]:
    return {
        "truncated_json": (b'{"id": "x", "schema_version": "1", "steps": [{"index": 0', r.TRUNCATED_JSON),
        "invalid_utf8_bytes": (b'{"id": "caf\xe9", "schema_version": "1"}', r.INVALID_UTF8),
        "lone_high_surrogate": (b'{"id": "a\\ud800", "schema_version": "1"}', r.INVALID_UNICODE_ESCAPE),
        "lone_low_surrogate": (b'{"id": "a\\udc00b", "schema_version": "1"}', r.INVALID_UNICODE_ESCAPE),
        "nesting_2000_array": (b"[" * 2000 + b"]" * 2000, r.NESTING_TOO_DEEP),
        "nesting_1100_in_record": (
            b'{"id": "deep", "schema_version": "1", "metadata": {"x": ' + b"[" * 1100 + b"]" * 1100 + b"}}",
            r.NESTING_TOO_DEEP,
        ),
        "scalar_number": (b"42", r.NOT_AN_OBJECT),
        "scalar_string": (b'"just text"', r.NOT_AN_OBJECT),
        "array_line": (b'[{"id": "a"}, 2]', r.NOT_AN_OBJECT),
        "null_line": (b"null", r.NOT_AN_OBJECT),
        "raw_nul_byte": (b'{"id": "a\x00b", "schema_version": "1"}', r.INVALID_JSON),
        "line_of_nul_bytes": (b"\x00" * 64, r.INVALID_JSON),
        "raw_control_char_in_string": (b'{"id": "a\x01b", "schema_version": "1"}', r.INVALID_JSON),
        "invalid_json_syntax": (b"{id: 1, 'schema_version': '1'}", r.INVALID_JSON),
        "two_objects_on_one_line": (native + b" " + native, r.INVALID_JSON),
        "number_is_infinity": (native[:-1] + b', "x_inf": 1e400}', r.INVALID_JSON),
        "unknown_format_object": (b'{"hello": "world", "n": 3}', r.UNKNOWN_FORMAT),
        "empty_object": (b"{}", r.UNKNOWN_FORMAT),
        "hundred_thousand_keys": (
            b"{" + b",".join(b'"k%d": %d' % (i, i) for i in range(100_000)) + b"}",
            r.UNKNOWN_FORMAT,
        ),
    }


def _value_kinds(native: bytes) -> dict[str, tuple[bytes, str]]:
    return {
        "steps_as_string": (with_value(native, "steps", "open a.py"), r.WRONG_SCHEMA),
        "steps_null": (with_value(native, "steps", None), r.WRONG_SCHEMA),
        "step_index_as_string": (with_value(native, "steps.0.index", "zero"), r.WRONG_SCHEMA),
        "unknown_action_type": (with_value(native, "steps.0.action.type", "teleport"), r.WRONG_SCHEMA),
        "id_as_number": (with_value(native, "id", 12), r.WRONG_SCHEMA),
        "token_count_uint64_max": (with_value(native, "usage.input_tokens", 2**64 - 1), r.NUMBER_OUT_OF_RANGE),
        "token_count_2_63": (with_value(native, "usage.output_tokens", INT64_MAX + 1), r.NUMBER_OUT_OF_RANGE),
        "api_calls_uint64": (with_value(native, "usage.api_calls", 2**64 - 2), r.NUMBER_OUT_OF_RANGE),
        "step_index_uint64": (with_value(native, "steps.0.index", 2**64 - 1), r.NUMBER_OUT_OF_RANGE),
        "exit_code_uint64": (with_value(native, "steps.0.observation.exit_code", 2**64 - 1), r.NUMBER_OUT_OF_RANGE),
        "tokens_past_2_53": (with_value(native, "usage.input_tokens", 2**53 + 1), r.NUMBER_OUT_OF_RANGE),
        "exit_code_below_minus_2_53": (
            with_value(native, "steps.0.observation.exit_code", -(2**53) - 1),
            r.NUMBER_OUT_OF_RANGE,
        ),
        "token_count_beyond_uint64": (with_value(native, "usage.input_tokens", 2**70), r.WRONG_SCHEMA),
        "metadata_nested_300": (with_value(native, "metadata", nested(300)), r.NESTING_TOO_DEEP),
        "metadata_nested_1000": (with_value(native, "metadata", nested(1000)), r.NESTING_TOO_DEEP),
        "tool_arguments_nested_600": (with_value(native, "steps.0.action.arguments", nested(600)), r.NESTING_TOO_DEEP),
    }
