"""What the test run reported through the evidence pipe, and whether it can be trusted.

The runner bootstrap (`runner_boot`) writes one record per test report, then an end record with pytest's exit
status and what it found tampered with; pytest's own JUnit report goes to the same pipe. Nothing of this is a
file in the work tree. Before a pass counts, the host cross-checks: one end record, last; no tampering found;
the sandbox's exit code equal to the end record's; the exit status consistent with the reported outcomes; the
JUnit report agreeing with the stream on every test. Any discrepancy with a normal process end is `forged`
(the grader does not trust a single pass from that run); a crash (no end record, non-zero exit) only loses
the passes. pytest stopping before any test passed with a usage or internal error (exit 4 / 3: a conftest that
cannot import, a missing test file) is no contradiction: the run is a `startup_exit`, and whose doing it is
the verifier finds out on the base tree (`harness.blame`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, field

from trajsift.harness.grading.junit import junit_key, parse_junit, plain_node_id
from trajsift.harness.grading.statuses import ERROR, FAILED, PASSED, SKIPPED, record

RECORD = b"\x1e"
_RECORD_LINE = re.compile(rb"\x1e([^\n]*)(?:\n|$)")
_FAILING_EXITS = frozenset({1, 2})  # tests failed / collection errors (interrupted)
_CLEAN_EXITS = frozenset({0, 5})  # all passed / nothing collected
_STARTUP_EXITS = frozenset({3, 4})  # internal error / usage error (e.g. a conftest that cannot import)


@dataclass
class RunEvidence:
    statuses: dict[str, str] | None
    """Node id -> status from the stream, or None when the stream cannot be trusted."""
    problems: list[str] = field(default_factory=list)
    forged: bool = False
    """True when the problems show the process ended normally with inconsistent evidence."""
    startup_exit: int | None = None
    """pytest's exit status when it stopped with a usage or internal error before any test passed."""


def split_evidence(data: bytes, key: bytes | None = None) -> tuple[list[dict], str]:
    """Recorder records and the JUnit XML text, from the evidence pipe's bytes. With `key`, each record's MAC
    chain is checked; the first record that fails it (and everything after) becomes a `forged` record."""
    records, chain = [], b""
    for match in _RECORD_LINE.finditer(data):
        try:
            item = json.loads(match[1])
            payload, mac = item["p"], item["m"]
            record = json.loads(payload)
        except (ValueError, KeyError, TypeError):
            record, payload, mac = {"k": "garbled"}, "", ""
        if key is not None and records[-1:] != [{"k": "forged"}]:
            expected = hmac.new(key, chain + payload.encode(), hashlib.sha256).hexdigest()
            record = record if hmac.compare_digest(expected, str(mac)) else {"k": "forged"}
            chain = str(mac).encode()
        elif key is not None:
            record = {"k": "forged"}
        records.append(record if isinstance(record, dict) else {"k": "garbled"})
    return records, _RECORD_LINE.sub(b"", data).decode("utf-8", "replace").strip()


def stream_statuses(records: list[dict]) -> dict[str, str]:
    """Node id -> status from the per-phase reports (worst wins), as pytest's own summary counts them; ids in
    pytest 4's spelling whatever the version (pytest 3 named a class's tests `Class::()::test`)."""
    statuses: dict[str, str] = {}
    for item in records:
        name, outcome = plain_node_id(str(item.get("id", ""))), item.get("o")
        if item.get("k") == "collect":
            record(statuses, name, SKIPPED if outcome == "skipped" else ERROR)
        elif item.get("k") == "report" and item.get("w") == "call":
            record(statuses, name, {"passed": PASSED, "skipped": SKIPPED}.get(outcome, FAILED))
        elif item.get("k") == "report":
            record(statuses, name, {"passed": PASSED, "skipped": SKIPPED}.get(outcome, ERROR))
    return statuses


def judge_evidence(data: bytes, exit_code: int | None, key: bytes) -> RunEvidence:
    """Parse the pipe's bytes (records signed with `key`) and cross-check them with the sandbox's exit code."""
    records, xml = split_evidence(data, key)
    if any(item.get("k") == "forged" for item in records):
        return RunEvidence(None, ["records not signed by the runner in the evidence stream"], forged=True)
    ends = [item for item in records if item.get("k") == "end"]
    if not ends:
        problem = "the runner never reached its end record"
        return RunEvidence(None, [problem], forged=exit_code == 0)
    end, statuses = ends[-1], stream_statuses(records)
    problems = [f"tampering: {entry}" for entry in end.get("tamper") or []][:20]
    if len(ends) > 1 or records[-1] is not end or any(item.get("k") == "garbled" for item in records):
        problems.append("extra or garbled records in the evidence stream")
    if end.get("exit") != exit_code:
        problems.append(f"exit code {exit_code} but the runner ended with {end.get('exit')}")
    problems += _outcome_problems(statuses, end.get("exit"))
    problems += _junit_problems(statuses, xml)
    if end.get("aborted"):
        return RunEvidence(None, [f"pytest aborted ({end['aborted']})", *problems], forged=bool(problems))
    if problems:
        return RunEvidence(None, problems, forged=True)
    startup = end.get("exit") if end.get("exit") in _STARTUP_EXITS else None
    return RunEvidence(statuses, startup_exit=startup)


def _outcome_problems(statuses: dict[str, str], exit_status: object) -> list[str]:
    if exit_status in _STARTUP_EXITS and PASSED not in statuses.values():
        return []  # stopped before any test passed: a startup failure, not a contradiction
    failing = any(status in (FAILED, ERROR) for status in statuses.values())
    expected = _FAILING_EXITS if failing else _CLEAN_EXITS
    return [] if exit_status in expected else [f"exit status {exit_status} contradicts the reported outcomes"]


def _junit_problems(statuses: dict[str, str], xml: str) -> list[str]:
    junit = parse_junit(xml)
    if junit is None:
        return ["no JUnit report"] if statuses else []
    by_key = {junit_key(name): status for name, status in statuses.items()}
    reported = {junit_key(name): status for name, status in junit.items()}
    disagree = sorted(
        f"{key[0]}::{key[1]}" for key in set(by_key) | set(reported) if by_key.get(key) != reported.get(key)
    )
    return [f"JUnit and stream disagree on {len(disagree)} tests, e.g. {disagree[0]}"] if disagree else []
