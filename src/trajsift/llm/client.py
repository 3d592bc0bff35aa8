"""An OpenAI-compatible chat-completions client: cache, bounded concurrency, retries, accounting.

The API key is read from the environment variable the config names, sent as a bearer header and
never stored in errors, reprs or the cache.
"""

from __future__ import annotations

import email.utils
import os
import random
import threading
import time
from dataclasses import dataclass
from typing import Any

import orjson

from trajsift.config import LLMSpec
from trajsift.errors import TrajsiftError
from trajsift.llm.accounting import Accounting
from trajsift.llm.cache import ResponseCache, cache_key
from trajsift.llm.transport import HttpResponse, Transport, TransportTimeout, TransportUnreachable, default_transport

Messages = list[dict[str, str]]
RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class LLMError(TrajsiftError):
    """A chat call failed for good (after retries, or on a non-retryable answer)."""


class _Retryable(TrajsiftError):
    def __init__(self, why: str, wait: float | None = None) -> None:
        super().__init__(why)
        self.wait = wait


@dataclass(frozen=True)
class ChatResult:
    text: str
    model: str
    input_tokens: int
    output_tokens: int
    cost: float | None
    cached: bool


class ChatClient:
    def __init__(self, config: LLMSpec, transport: Transport | None = None, sleep: Any = time.sleep) -> None:
        self.config = config
        self.url = config.base_url.rstrip("/") + "/chat/completions"
        self.accounting = Accounting(config.prices)
        self.cache = ResponseCache(config.cache_dir) if config.cache_dir else None
        self._transport = transport or default_transport()
        self._slots = threading.BoundedSemaphore(config.max_concurrency)
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"ChatClient(url={self.url!r}, model={self.config.model!r})"

    def chat(self, messages: Messages, *, cache_basis: Any = None, **params: Any) -> ChatResult:
        """One completion. `cache_basis` replaces the messages in the cache key (e.g. the prompt with a
        per-call random fence boundary replaced by a placeholder). Raises `LLMError` on failure."""
        params = {"temperature": self.config.temperature, "max_tokens": self.config.max_tokens, **params}
        key = cache_key(self.config.model, messages if cache_basis is None else cache_basis, params)
        hit = self.cache.get(key) if self.cache is not None else None
        if hit is not None:
            self.accounting.record_answer(self.config.model, 0, 0, cached=True)
            return ChatResult(hit["text"], hit["model"], hit["input_tokens"], hit["output_tokens"], 0.0, True)
        body = orjson.dumps({"model": self.config.model, "messages": messages, **params})
        text, model, tokens_in, tokens_out = self._post_with_retries(body)
        cost = self.accounting.record_answer(self.config.model, tokens_in, tokens_out, cached=False)
        if self.cache is not None:
            record = {"text": text, "model": model, "input_tokens": tokens_in, "output_tokens": tokens_out}
            self.cache.put(key, record)
        return ChatResult(text, model, tokens_in, tokens_out, cost, False)

    def close(self) -> None:
        self._transport.close()
        if self.cache is not None:
            self.cache.close()

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = os.environ.get(self.config.api_key_env) if self.config.api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _post_with_retries(self, body: bytes) -> tuple[str, str, int, int]:
        attempts = self.config.max_retries + 1
        for attempt in range(attempts):
            try:
                return self._post_once(body)
            except _Retryable as exc:
                if attempt + 1 == attempts:
                    self.accounting.add(failures=1)
                    raise LLMError(f"chat call failed after {attempts} attempts: {exc}") from None
                self.accounting.add(retries=1)
                self._sleep(self._backoff(attempt, exc.wait))
            except LLMError:
                self.accounting.add(failures=1)
                raise
        raise AssertionError("unreachable")

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Full-jitter exponential backoff; a server's Retry-After is a floor, both capped."""
        delay = random.uniform(0, self.config.backoff_base * 2**attempt)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, self.config.backoff_max)

    def _post_once(self, body: bytes) -> tuple[str, str, int, int]:
        with self._slots:
            self.accounting.add(requests=1)
            try:
                resp = self._transport.post(self.url, self._headers(), body, self.config.timeout)
            except TransportTimeout:
                raise _Retryable(f"timeout after {self.config.timeout}s") from None
            except TransportUnreachable as exc:
                raise _Retryable(f"connection failed: {exc}") from None
        if resp.status in RETRY_STATUSES:
            raise _Retryable(f"HTTP {resp.status}", retry_after_seconds(resp))
        if resp.status != 200:
            raise LLMError(f"HTTP {resp.status}: {resp.body[:300].decode('utf-8', 'replace')}")
        return parse_completion(resp.body)


def parse_completion(body: bytes) -> tuple[str, str, int, int]:
    """(text, model, prompt tokens, completion tokens) from a chat-completions body."""
    try:
        data = orjson.loads(body)
        message = data["choices"][0]["message"]
        text = message.get("content")
        if not isinstance(text, str):
            raise TypeError("message content is not a string")
        usage = data.get("usage") or {}
        tokens_in = int(usage.get("prompt_tokens") or 0)
        tokens_out = int(usage.get("completion_tokens") or 0)
        return text, str(data.get("model") or ""), tokens_in, tokens_out
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise _Retryable(f"malformed completion body: {type(exc).__name__}") from None


def retry_after_seconds(resp: HttpResponse) -> float | None:
    """Retry-After as seconds (a number or an HTTP date), or None."""
    raw = resp.headers.get("retry-after", "").strip()
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
