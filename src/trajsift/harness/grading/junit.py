"""pytest's JUnit XML report as a structured source of test results, and how it outranks the text log.

The report is written by pytest itself at the end of the session, so lines printed by the tested code cannot
add results to it. It names tests by (classname, name); `-o junit_family=xunit1` adds the file, from which the
node id is rebuilt exactly (without it, trailing capitalised classname parts are taken as classes).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

from trajsift.harness.grading.statuses import ERROR, FAILED, PASSED, SKIPPED, record

_FORBIDDEN_MARKUP = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_CHILD_STATUS = {"failure": FAILED, "error": ERROR, "skipped": SKIPPED}


def pytest_args_for_report(path: str) -> list[str]:
    """Extra pytest arguments: a JUnit XML report at `path` (with file names) and all results in the summary."""
    return [f"--junitxml={path}", "-o", "junit_family=xunit1", "-rA"]


def parse_junit(xml_text: str) -> dict[str, str] | None:
    """Node id -> status from a JUnit XML report, or None when there is no usable report.

    Documents with a DOCTYPE or entity declarations are refused (pytest never writes them), so entity
    expansion attacks cannot happen even without defusedxml.
    """
    if not xml_text.strip() or _FORBIDDEN_MARKUP.search(xml_text):
        return None
    try:
        root = _parse_xml(xml_text)
    except (ElementTree.ParseError, ValueError):
        return None
    statuses: dict[str, str] = {}
    for case in root.iter("testcase"):
        name = case.get("name", "")
        if name:
            record(statuses, junit_node_id(case.get("classname", ""), name, case.get("file")), _case_status(case))
    return statuses


def _parse_xml(xml_text: str) -> ElementTree.Element:
    try:
        from defusedxml import ElementTree as SafeTree  # type: ignore[import-untyped]
    except ImportError:
        return ElementTree.fromstring(xml_text)
    try:
        return SafeTree.fromstring(xml_text)
    except Exception as exc:  # noqa: BLE001 - defusedxml's refusals become "no usable report"
        raise ValueError(str(exc)) from exc


def _case_status(case: ElementTree.Element) -> str:
    statuses = {PASSED: PASSED}
    for child in case:
        status = _CHILD_STATUS.get(child.tag)
        if status:
            record(statuses, PASSED, status)
    return statuses[PASSED]


def junit_node_id(classname: str, name: str, file: str | None = None) -> str:
    """Rebuild pytest's node id from a report entry's classname, name and (xunit1) file."""
    if not classname:
        return name
    if file and file.endswith(".py"):
        module = file[:-3].replace("\\", "/").replace("/", ".")
        if classname == module:
            return f"{file}::{name}"
        if classname.startswith(module + "."):
            return "::".join([file, *classname[len(module) + 1 :].split("."), name])
    parts = classname.split(".")
    split = len(parts)
    while split > 1 and parts[split - 1][:1].isupper():
        split -= 1
    return "::".join(["/".join(parts[:split]) + ".py", *parts[split:], name])


def plain_node_id(node_id: str) -> str:
    """A node id without pytest 3's instance parts (`test_x.py::TestA::()::test_b` -> `test_x.py::TestA::test_b`),
    the spelling pytest 4+ and the SWE-bench lists use; parameters (after `[`) are left as they are."""
    path, bracket, params = node_id.partition("[")
    return "::".join(part for part in path.split("::") if part != "()") + bracket + params


def junit_key(node_id: str) -> tuple[str, str]:
    """The (classname, name) pair pytest's JUnit report uses for a node id."""
    path, bracket, params = node_id.partition("[")
    names = [part for part in path.split("::") if part != "()"] or [""]
    names[0] = re.sub(r"\.py$", "", names[0].replace("/", "."))
    names[-1] += bracket + params
    return ".".join(names[:-1]), names[-1]


def combine(
    structured: dict[str, str] | None, text: dict[str, str], *, structured_expected: bool = False
) -> dict[str, str]:
    """Merge a JUnit result with the text log's: the report decides every test it names.

    Text names are kept in their own spelling when they map to a report entry (with the report's status);
    text-only names survive only as FAILED/ERROR (a text line can add failures, never passes). When the report
    was requested but is missing (`structured_expected`), the run did not finish normally: text passes are
    not trusted.
    """
    if structured is None:
        if not structured_expected:
            return dict(text)
        return {name: status for name, status in text.items() if status in (FAILED, ERROR)}
    by_key: dict[tuple[str, str], tuple[str, str]] = {}
    for name, status in structured.items():
        by_key[junit_key(name)] = (name, status)
    result: dict[str, str] = {}
    matched: set[tuple[str, str]] = set()
    for name, status in text.items():
        key = junit_key(name)
        if key in by_key:
            record(result, name, by_key[key][1])
            matched.add(key)
        elif status in (FAILED, ERROR):
            record(result, name, status)
    for key, (name, status) in by_key.items():
        if key not in matched:
            record(result, name, status)
        if " " in name:  # SWE-bench's first-word spelling of ids with spaces
            record(result, name.split()[0], status)
    return result
