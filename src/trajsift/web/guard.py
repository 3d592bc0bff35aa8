"""Request guards of the web app: Host allow-list, same-origin check of unsafe methods, login throttling.

- `RequestGuard` (pure ASGI middleware): a Host header outside the allow-list answers 400 (no DNS
  rebinding); a POST/PUT/PATCH/DELETE whose `Origin` is another origin, or whose `Sec-Fetch-Site` says
  it came from another site or another port of this host, answers 403. Cookies ignore ports, so a page
  on another local port could otherwise post forms with the victim's cookies.
- `LoginThrottle`: after `free` failed logins for a user name or a client address, every attempt (even
  with the right password) is refused until a delay that doubles with each further failure has passed.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from urllib.parse import urlsplit

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FOREIGN_FETCH_SITES = frozenset({"cross-site", "same-site"})


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


def host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    """`host` (the Host header, maybe with a port) matches an allowed `name` or `name:port`, case-insensitively."""
    host = host.strip().lower()
    name = host[: host.index("]") + 1] if host.startswith("[") and "]" in host else host.split(":", 1)[0]
    return bool(host) and any(host == entry.lower() or name == entry.lower() for entry in allowed)


def foreign_origin(scope) -> str:
    """Why an unsafe request comes from elsewhere ("" when it does not). Browsers send `Sec-Fetch-Site`
    (which pages cannot forge) and `Origin`; clients without either carry no browser cookies to abuse."""
    site = _header(scope, b"sec-fetch-site").lower()
    if site:
        return "request sent by another site or another port of this host" if site in FOREIGN_FETCH_SITES else ""
    origin = _header(scope, b"origin")
    if origin and origin != "null" and urlsplit(origin).netloc.lower() != _header(scope, b"host").strip().lower():
        return "request Origin is not this server"
    return ""


class RequestGuard:
    """Host allow-list (when `allowed_hosts` is not empty) and the same-origin rule for unsafe methods."""

    def __init__(self, app, allowed_hosts: tuple[str, ...] = ()) -> None:
        self.app = app
        self.allowed_hosts = tuple(allowed_hosts)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.allowed_hosts and not host_allowed(_header(scope, b"host"), self.allowed_hosts):
            return await _plain(send, 400, "Bad request: this server does not answer to that Host name.")
        if scope.get("method") in UNSAFE_METHODS:
            reason = foreign_origin(scope)
            if reason:
                return await _plain(send, 403, f"Forbidden: {reason}.")
        return await self.app(scope, receive, send)


async def _plain(send, status: int, text: str) -> None:
    body = text.encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class LoginThrottle:
    """Failed-login counters per key (user name, client address) with exponential backoff."""

    def __init__(self, free: int = 5, base_delay: float = 2.0, max_delay: float = 900.0, capacity: int = 10000):
        self.free, self.base_delay, self.max_delay, self.capacity = free, base_delay, max_delay, capacity
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait_s(self, *keys: str, now: float | None = None) -> float:
        """Seconds before the next attempt may be checked (0 = allowed now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            return max((self._delay(key, now) for key in keys), default=0.0)

    def _delay(self, key: str, now: float) -> float:
        count, last = self._failures.get(key, (0, 0.0))
        if count < self.free:
            return 0.0
        delay = min(self.base_delay * 2 ** (count - self.free), self.max_delay)
        return max(0.0, last + delay - now)

    def failed(self, *keys: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            for key in keys:
                count, _last = self._failures.pop(key, (0, 0.0))
                self._failures[key] = (count + 1, now)
            while len(self._failures) > self.capacity:
                self._failures.popitem(last=False)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
