"""Slack-compatible webhook delivery with the standard library: timeout, retries, never raises."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

SEVERITY_MARK = {"critical": "[CRITICAL]", "warning": "[WARNING]", "info": "[INFO]"}
RETRYABLE_STATUS = {408, 425, 429, 500, 502, 503, 504}


@dataclass
class Delivery:
    ok: bool
    attempts: int
    error: str = ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook that redirects is misconfigured: never re-send the payload elsewhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def slack_escape(text: Any) -> str:
    """Slack's mrkdwn control characters (`&`, `<`, `>`) escaped, so data cannot inject links or mentions."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(run_name: str, alerts: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """`{"text": ..., "blocks": [...]}` for fired alerts (dicts with name, severity, message)."""
    title = f"trajsift: {len(alerts)} quality alert{'s' if len(alerts) != 1 else ''} fired in run {run_name}"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": title[:150]}}]
    for alert in alerts:
        mark = SEVERITY_MARK.get(str(alert.get("severity")), "[ALERT]")
        body = f"*{mark} {slack_escape(alert.get('name'))}*\n{slack_escape(alert.get('message'))}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body[:3000]}})
    lines = [f"{SEVERITY_MARK.get(str(a.get('severity')), '[ALERT]')} {a.get('message')}" for a in alerts]
    return {"text": slack_escape("\n".join([title, *lines])), "blocks": blocks[:50]}


def valid_webhook_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def post_webhook(
    url: str, payload: dict[str, Any], timeout: float = 5.0, retries: int = 2, backoff: float = 0.5
) -> Delivery:
    """POST `payload` as JSON; retry timeouts, connection errors and 5xx/429; report, never raise."""
    if not valid_webhook_url(url):
        return Delivery(False, 0, "webhook URL must be http(s)://host/...")
    data = orjson.dumps(payload)
    error = ""
    for attempt in range(1, retries + 2):
        request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                response.read(65536)
                return Delivery(True, attempt)
        except urllib.error.HTTPError as exc:
            error = f"HTTP {exc.code}"
            if exc.code not in RETRYABLE_STATUS:
                return Delivery(False, attempt, error)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
        if attempt <= retries:
            time.sleep(backoff * attempt)
    return Delivery(False, retries + 1, error)
