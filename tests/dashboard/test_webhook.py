"""Webhook delivery against a real HTTP server on 127.0.0.1 (never anything else)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson

from trajsift.alerts.evaluate import check_run
from trajsift.alerts.webhook import post_webhook, slack_payload
from trajsift.config import AlertSpec


class Receiver:
    """Answers POSTs with the statuses queued in `plan` (then 200), recording every body."""

    def __init__(self, plan=(), delay: float = 0.0) -> None:
        self.plan, self.delay, self.bodies = list(plan), delay, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.bodies.append((self.path, self.headers.get("Content-Type"), body))
                time.sleep(receiver.delay)
                status = receiver.plan.pop(0) if receiver.plan else 200
                try:
                    self.send_response(status)
                    if status in (301, 302, 307):
                        self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T000/B000"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_payload_is_slack_compatible_and_escapes_control_characters():
    payload = slack_payload("run<1>", [{"name": "<!channel> & co", "severity": "critical", "message": "a <b> c"}])
    assert set(payload) == {"text", "blocks"}
    assert payload["blocks"][0]["type"] == "header" and payload["blocks"][1]["text"]["type"] == "mrkdwn"
    text = payload["blocks"][1]["text"]["text"]
    assert "&lt;!channel&gt; &amp; co" in text and "<" not in text
    assert "<" not in payload["text"]


def test_delivered_json_reaches_the_server(receiver):
    server = receiver()
    delivery = post_webhook(server.url, {"text": "hello"})
    assert delivery.ok and delivery.attempts == 1
    path, content_type, body = server.bodies[0]
    assert path == "/hooks/T000/B000" and content_type == "application/json"
    assert orjson.loads(body) == {"text": "hello"}


def test_server_errors_are_retried_then_delivered(receiver):
    server = receiver(plan=[500, 503])
    delivery = post_webhook(server.url, {"text": "x"}, retries=2, backoff=0.01)
    assert delivery.ok and delivery.attempts == 3 and len(server.bodies) == 3


def test_persistent_failure_is_reported_not_raised(receiver):
    server = receiver(plan=[500] * 5)
    delivery = post_webhook(server.url, {"text": "x"}, retries=2, backoff=0.01)
    assert not delivery.ok and delivery.attempts == 3 and delivery.error == "HTTP 500"


def test_client_errors_and_redirects_are_not_retried_or_followed(receiver):
    server = receiver(plan=[404])
    assert post_webhook(server.url, {"text": "x"}, backoff=0.01).attempts == 1
    redirect = receiver(plan=[302])
    delivery = post_webhook(redirect.url, {"text": "x"}, backoff=0.01)
    assert not delivery.ok and delivery.error == "HTTP 302" and len(redirect.bodies) == 1


def test_timeout_gives_up_quickly(receiver):
    server = receiver(delay=8.0)
    started = time.monotonic()
    delivery = post_webhook(server.url, {"text": "x"}, timeout=0.3, retries=1, backoff=0.01)
    assert not delivery.ok and delivery.attempts == 2 and "timed out" in delivery.error.lower()
    assert time.monotonic() - started < 6.0  # two attempts of 0.3 s, not one 8 s answer (room for a loaded machine)


def test_connection_refused_and_bad_schemes_never_raise():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    refused = post_webhook(f"http://127.0.0.1:{port}/x", {"text": "x"}, retries=1, backoff=0.01)
    assert not refused.ok and refused.attempts == 2
    for url in ("file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/", "http:///nohost"):
        assert post_webhook(url, {"text": "x"}) == post_webhook(url, {}) and not post_webhook(url, {}).ok


def test_check_run_posts_fired_alerts_once_per_url_and_records_delivery(drifting_run, receiver, monkeypatch):
    server = receiver()
    monkeypatch.setenv("TRAJSIFT_TEST_HOOK", server.url)
    specs = [
        AlertSpec(name="keep floor", metric="decisions.keep_rate", min=0.99, webhook=server.url),
        AlertSpec(name="quality floor", metric="quality_score", min=0.99, webhook_env="TRAJSIFT_TEST_HOOK"),
        AlertSpec(name="never", metric="decisions.keep_rate", max=1.0, webhook=server.url),
    ]
    report = check_run(drifting_run, specs)
    assert len(server.bodies) == 1
    text = orjson.loads(server.bodies[0][2])["text"]
    assert "keep floor" in text and "quality floor" in text and "never" not in text
    assert report.results[0].webhook == {"delivered": True, "attempts": 1, "error": ""}
    assert report.results[2].webhook is None


def test_check_run_survives_a_dead_webhook(drifting_run, receiver):
    server = receiver(plan=[500] * 10)
    spec = AlertSpec(name="keep floor", metric="decisions.keep_rate", min=0.99, webhook=server.url)
    report = check_run(drifting_run, [spec], timeout=1.0)
    assert report.results[0].fired and report.results[0].webhook["delivered"] is False
