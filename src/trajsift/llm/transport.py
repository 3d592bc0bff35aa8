"""One HTTP POST, over httpx when installed, else the standard library. Both raise the same errors."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Protocol

from trajsift.errors import TrajsiftError

try:  # optional: the `llm` extra
    import httpx
except ImportError:  # pragma: no cover - exercised only without httpx
    httpx = None


@dataclass
class HttpResponse:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    """Header names lower-cased."""


class TransportTimeout(TrajsiftError):
    """The request did not complete within the timeout."""


class TransportUnreachable(TrajsiftError):
    """The connection failed (refused, reset, DNS)."""


class Transport(Protocol):
    def post(self, url: str, headers: dict[str, str], body: bytes, timeout: float) -> HttpResponse: ...

    def close(self) -> None: ...


class HttpxTransport:
    def __init__(self) -> None:
        self._client = httpx.Client(trust_env=False)

    def post(self, url: str, headers: dict[str, str], body: bytes, timeout: float) -> HttpResponse:
        try:
            resp = self._client.post(url, headers=headers, content=body, timeout=timeout)
        except httpx.TimeoutException as exc:
            raise TransportTimeout(str(exc)) from exc
        except httpx.TransportError as exc:
            raise TransportUnreachable(str(exc)) from exc
        return HttpResponse(resp.status_code, resp.content, {k.lower(): v for k, v in resp.headers.items()})

    def close(self) -> None:
        self._client.close()


class UrllibTransport:
    def __init__(self) -> None:
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def post(self, url: str, headers: dict[str, str], body: bytes, timeout: float) -> HttpResponse:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=timeout) as resp:
                return HttpResponse(resp.status, resp.read(), {k.lower(): v for k, v in resp.headers.items()})
        except urllib.error.HTTPError as exc:
            return HttpResponse(exc.code, exc.read() or b"", {k.lower(): v for k, v in exc.headers.items()})
        except TimeoutError as exc:
            raise TransportTimeout(str(exc)) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise TransportTimeout(str(exc)) from exc
            raise TransportUnreachable(str(exc)) from exc
        except OSError as exc:
            raise TransportUnreachable(str(exc)) from exc

    def close(self) -> None:
        pass


def default_transport() -> Transport:
    return HttpxTransport() if httpx is not None else UrllibTransport()
