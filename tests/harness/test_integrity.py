"""The evidence stream's cross-checks, on hand-made streams (the real runner is exercised by the corpus)."""

from __future__ import annotations

import json

from trajsift.harness.grading.integrity import judge_evidence, split_evidence

from .verify_helpers import all_tests, evidence_bytes

KEY = b"k" * 64


def test_a_consistent_signed_stream_is_trusted():
    judged = judge_evidence(evidence_bytes(all_tests(), 0, KEY), 0, KEY)
    assert judged.problems == [] and judged.statuses == all_tests() and not judged.forged


def test_unsigned_or_reordered_records_are_forged():
    unsigned = evidence_bytes(all_tests(), 0, b"not the key")
    assert judge_evidence(unsigned, 0, KEY).forged
    lines = evidence_bytes(all_tests(), 0, KEY).split(b"\n")
    swapped = b"\n".join([lines[1], lines[0], *lines[2:]])
    judged = judge_evidence(swapped, 0, KEY)
    assert judged.forged and judged.statuses is None


def test_exit_code_and_outcomes_must_agree():
    failing = all_tests(test_add="FAILED")
    judged = judge_evidence(evidence_bytes(failing, 0, KEY), 0, KEY)  # failures, yet pytest said "all passed"
    assert judged.forged and any("contradicts" in problem for problem in judged.problems)
    judged = judge_evidence(evidence_bytes(all_tests(), 0, KEY), 1, KEY)  # the process exited otherwise
    assert judged.forged and any("exit code 1" in problem for problem in judged.problems)


def test_junit_must_agree_with_the_stream():
    data = evidence_bytes(all_tests(), 0, KEY)
    records, xml = split_evidence(data, KEY)
    forged_xml = xml.replace("<testcase ", "<testcase ", 1).replace(
        "</testcase>", "<failure message='x'/></testcase>", 1
    )
    judged = judge_evidence(data.replace(xml.encode(), forged_xml.encode()), 0, KEY)
    assert judged.forged and any("JUnit and stream disagree" in problem for problem in judged.problems)
    assert [record["k"] for record in records][-1] == "end"


def test_no_end_record_is_a_crash_unless_the_process_claims_success():
    data = b"\n".join(line for line in evidence_bytes(all_tests(), 0, KEY).split(b"\n") if b"end" not in line)
    assert judge_evidence(data, 0, KEY).forged  # os._exit(0) somewhere: forged
    crashed = judge_evidence(data, -11, KEY)
    assert crashed.statuses is None and not crashed.forged
    assert json.loads(json.dumps(crashed.problems)) == ["the runner never reached its end record"]


def test_pytest_3_instance_parts_are_dropped_from_stream_ids():
    # pytest 3 reports a class's tests as `file::Class::()::test`; the task lists (and JUnit) say `file::Class::test`
    listed = {"pkg/test_m.py::TestA::test_x": "PASSED", "pkg/test_m.py::TestA::test_y[a::()::b]": "FAILED"}
    data = evidence_bytes(listed, 1, KEY, spelling=lambda node: node.replace("TestA::", "TestA::()::", 1))
    assert data.count(b"TestA::()::") == 2
    judged = judge_evidence(data, 1, KEY)
    assert judged.problems == [] and judged.statuses == listed
