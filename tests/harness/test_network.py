"""Failures caused by the sandbox's missing network are told apart from real failures."""

from __future__ import annotations

from trajsift.harness.grading.network import offline_failures

SUMMARY_LOG = """\
=========================== short test summary info ============================
PASSED test_requests.py::RequestsTestCase::test_basic_building
FAILED test_requests.py::RequestsTestCase::test_HTTP_200_OK_GET - requests.exceptions.ConnectionError: \
HTTPConnectionPool(host='httpbin.org', port=80): Max retries exceeded (Caused by NewConnectionError(\
'<urllib3.connection.HTTPConnection object>: Failed to establish a new connection: [Errno -3] Temporary failure \
in name resolution'))
FAILED test_requests.py::RequestsTestCase::test_params_are_added - AssertionError: assert 'a=b' == 'a=c'
"""

SECTION_LOG = """\
=================================== FAILURES ===================================
_____________________ RequestsTestCase.test_DIGEST_HTTP_200_OK_GET _____________________
    def test_DIGEST_HTTP_200_OK_GET(self):
>       r = requests.get(url, auth=auth)
_ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _
    sock = socket.create_connection(address)
E       socket.gaierror: [Errno -2] Name or service not known
_ RequestsTestCase.test_long_unicode_header_name _
E       AssertionError: expected ConnectionError, got nothing
=========================== short test summary info ============================
FAILED test_requests.py::RequestsTestCase::test_DIGEST_HTTP_200_OK_GET
FAILED test_requests.py::RequestsTestCase::test_long_unicode_header_name
"""


def test_summary_messages_attribute_offline_failures():
    failed = [
        "test_requests.py::RequestsTestCase::test_HTTP_200_OK_GET",
        "test_requests.py::RequestsTestCase::test_params_are_added",
    ]
    assert offline_failures(SUMMARY_LOG, failed) == failed[:1]


def test_failure_sections_attribute_offline_failures():
    failed = [
        "test_requests.py::RequestsTestCase::test_DIGEST_HTTP_200_OK_GET",
        "test_requests.py::RequestsTestCase::test_long_unicode_header_name",
    ]
    assert offline_failures(SECTION_LOG, failed) == failed[:1]
    long_offline = SECTION_LOG.replace(
        "expected ConnectionError, got nothing", "OSError: [Errno 101] Network is unreachable"
    )
    assert offline_failures(long_offline, failed) == failed


def test_mentioning_connection_error_is_not_an_offline_failure():
    log = "FAILED t.py::test_x - AssertionError: ConnectionError not raised\n"
    assert offline_failures(log, ["t.py::test_x"]) == []
    assert offline_failures(SUMMARY_LOG, []) == []
