"""Local test services inside the real sandbox (the httpbin stand-in's server, with a small WSGI app in place of
httpbin), and `--network`: the host's loopback is reachable from a sandboxed run with it, not without."""

from __future__ import annotations

import dataclasses
import http.server
import shlex
import shutil
import threading
from pathlib import Path

import msgspec
import pytest

from trajsift.checks.tests import TestsCheck
from trajsift.harness import env_specs
from trajsift.harness.environments import EnvironmentUnavailable, EnvSpec
from trajsift.harness.grading.services import SCRIPTS, check_services, with_services
from trajsift.harness.sandbox.bubblewrap import BubblewrapSandbox

from .sandbox_helpers import PYTHON, PYTHON_PATHS, SMALL, needs_bwrap

LIMITS = dataclasses.replace(SMALL, wall_s=60, pids=256, memory_mb=1024)
needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl not installed")

APP = """
def app(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    text = "%s %s %s" % (environ["wsgi.url_scheme"], environ.get("HTTP_TRANSFER_ENCODING", "-"), body.decode())
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(text)))])
    return [text.encode()]
"""

# Run inside the sandbox after the service started: one keep-alive connection carrying two requests (the second
# chunked), then HTTPS on the same port, verified against the CA the service exported.
CLIENT = """
import http.client, os, ssl, urllib.parse
url = urllib.parse.urlsplit(os.environ["HTTPBIN_URL"])
plain = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
plain.request("GET", "/")
first = plain.getresponse(); first.read()
sock = plain.sock
plain.request("POST", "/", body=iter([b"ab", b"cd"]), encode_chunked=True)
second = plain.getresponse()
print("keepalive", first.getheader("Connection"), plain.sock is sock, second.read().decode())
context = ssl.create_default_context(cafile=os.environ["REQUESTS_CA_BUNDLE"])
secure = http.client.HTTPSConnection(url.hostname, url.port, timeout=10, context=context)
secure.request("GET", "/")
print("tls", secure.getresponse().read().decode())
print("trusted", open("bundle.pem").read().count("BEGIN CERTIFICATE"))
"""


@needs_bwrap
@needs_openssl
def test_httpbin_service_speaks_keep_alive_http_and_https_on_one_port(tmp_path):
    (tmp_path / "probe_app.py").write_text(APP)
    (tmp_path / "client.py").write_text(CLIENT)
    (tmp_path / "bundle.pem").write_text("-----BEGIN CERTIFICATE-----\nold\n-----END CERTIFICATE-----\n")
    script = SCRIPTS["httpbin"]
    command = f"{PYTHON} client.py"
    for _ in range(2):  # a second run replaces the CA block the first appended
        words = [PYTHON, str(script), "--trust", "bundle.pem", "--app", "probe_app:app", command]
        result = BubblewrapSandbox().run(
            " ".join(shlex.quote(w) for w in words),
            tmp_path,
            LIMITS,
            env={"PYTHONPATH": str(tmp_path)},
            ro_paths=[*PYTHON_PATHS, script],
        )
        assert result.verdict == "ok", result.output
    lines = result.output.splitlines()
    assert "keepalive keep-alive True http - abcd" in lines  # chunked body de-chunked, the header dropped
    assert "tls https - " in lines and "trusted 2" in lines


def test_services_wrap_the_command_and_unknown_ones_are_refused():
    wrapped = with_services("pytest -rA t.py", {"httpbin": ["--trust", "x.pem"]}, Path("/env/bin/python"))
    assert wrapped.startswith(f"/env/bin/python -I -B {SCRIPTS['httpbin']} --trust x.pem ")
    assert wrapped.endswith("'pytest -rA t.py'")
    assert with_services("pytest", {}, Path("/p")) == "pytest"
    with pytest.raises(EnvironmentUnavailable, match="smtp"):
        check_services({"smtp": []})


def test_requests_rows_name_the_httpbin_service_and_other_fingerprints_stay():
    row = env_specs.spec("psf/requests", "2.3")
    assert row is not None and row["services"] == {"httpbin": ["--trust", "requests/cacert.pem"]}
    plain = EnvSpec(python="3.9", packages=["pytest"])
    assert plain.fingerprint() == "ffa06f00236af080d130"  # unchanged by the services field: no env is rebuilt
    assert msgspec.structs.replace(plain, services={"httpbin": []}).fingerprint() != plain.fingerprint()


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's naming
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, *args):
        return None


@pytest.fixture
def host_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@needs_bwrap
def test_network_option_reaches_the_host_loopback_and_only_with_it(tmp_path, host_server):
    probe = f"import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:{host_server}/').read())"
    (tmp_path / "probe.py").write_text(probe)
    check = TestsCheck({"network": True, "cache_dir": str(tmp_path / "cache")})
    limits = check.verifier(object()).options.limits
    assert (
        limits.network and not TestsCheck({"cache_dir": str(tmp_path / "c2")}).verifier(object()).options.limits.network
    )
    sandbox = BubblewrapSandbox()
    allowed = sandbox.run(
        f"{PYTHON} probe.py", tmp_path, dataclasses.replace(LIMITS, network=True), ro_paths=PYTHON_PATHS
    )
    assert allowed.verdict == "ok" and "b'hello'" in allowed.output
    denied = sandbox.run(f"{PYTHON} probe.py", tmp_path, LIMITS, ro_paths=PYTHON_PATHS)
    assert denied.verdict == "nonzero_exit" and "Connection refused" in denied.output
