import threading
import time

import pytest

from trajsift.config import PriceSpec
from trajsift.llm.client import LLMError

MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello"}]


def test_request_has_the_openai_shape_and_bearer_key(fake, make_client, monkeypatch):
    monkeypatch.setenv("FAKE_LLM_KEY", "sk-secret-123")
    client = make_client(api_key_env="FAKE_LLM_KEY", temperature=0.2, max_tokens=64)
    fake.script.append(("text", "hi there"))
    result = client.chat(MESSAGES)
    assert result.text == "hi there" and not result.cached
    body = fake.requests[0]
    assert body == {"model": "fake-judge", "messages": MESSAGES, "temperature": 0.2, "max_tokens": 64}
    assert fake.headers[0]["Authorization"] == "Bearer sk-secret-123"
    assert "sk-secret" not in repr(client)


def test_no_key_env_sends_no_authorization(fake, make_client):
    make_client().chat(MESSAGES)
    assert "Authorization" not in fake.headers[0]


def test_second_identical_call_hits_the_disk_cache(fake, make_client):
    client = make_client()
    first = client.chat(MESSAGES)
    second = client.chat(MESSAGES)
    assert len(fake.requests) == 1
    assert second.cached and second.text == first.text and second.cost == 0.0
    other = make_client().chat(MESSAGES)  # a new client on the same cache folder
    assert other.cached and len(fake.requests) == 1
    client.chat(MESSAGES, temperature=0.7)  # different params: a new key
    assert len(fake.requests) == 2


def test_cache_basis_replaces_the_messages_in_the_key(fake, make_client):
    client = make_client()
    client.chat([{"role": "user", "content": "fence AAAA"}], cache_basis="template")
    hit = client.chat([{"role": "user", "content": "fence BBBB"}], cache_basis="template")
    assert hit.cached and len(fake.requests) == 1


def test_no_cache_dir_means_no_cache(fake, make_client):
    client = make_client(cache_dir=None)
    client.chat(MESSAGES)
    client.chat(MESSAGES)
    assert len(fake.requests) == 2


def test_retries_5xx_then_succeeds(fake, make_client):
    client = make_client()
    fake.script.extend([("status", 500), ("status", 503)])
    assert client.chat(MESSAGES).text
    assert len(fake.requests) == 3
    totals = client.accounting.snapshot()
    assert totals["retries"] == 2 and totals["requests"] == 3 and totals["failures"] == 0


def test_honours_retry_after_on_429(fake, make_client):
    client = make_client()
    fake.script.append(("status", 429, {"Retry-After": "1"}))
    started = time.monotonic()
    client.chat(MESSAGES)
    assert time.monotonic() - started >= 0.95
    assert len(fake.requests) == 2


def test_backoff_grows_exponentially_with_jitter(make_client):
    client = make_client(backoff_base=1.0, backoff_max=100.0)
    delays = [[client._backoff(attempt, None) for _ in range(200)] for attempt in range(4)]
    for attempt, values in enumerate(delays):
        assert 0 <= min(values) and max(values) <= 2**attempt
        assert len(set(values)) > 150  # jittered
    assert sum(delays[3]) > 3 * sum(delays[0])
    assert client._backoff(0, 50.0) == 50.0 and client._backoff(0, 500.0) == 100.0


def test_gives_up_after_max_retries(fake, make_client):
    client = make_client(max_retries=2)
    fake.script.extend([("status", 500)] * 5)
    with pytest.raises(LLMError, match="3 attempts"):
        client.chat(MESSAGES)
    assert len(fake.requests) == 3 and client.accounting.snapshot()["failures"] == 1


def test_client_errors_are_not_retried(fake, make_client):
    fake.script.append(("status", 400))
    with pytest.raises(LLMError, match="HTTP 400"):
        make_client().chat(MESSAGES)
    assert len(fake.requests) == 1


def test_malformed_body_is_retried_and_never_cached(fake, make_client):
    client = make_client(max_retries=1)
    fake.script.extend([("malformed",), ("malformed",)])
    with pytest.raises(LLMError, match="malformed"):
        client.chat(MESSAGES)
    fake.script.append(("malformed",))
    assert client.chat(MESSAGES).text  # malformed once, then a good answer
    assert len(fake.requests) == 4


def test_timeout_is_retried(fake, make_client):
    client = make_client(timeout=0.3, max_retries=1)
    fake.script.append(("slow", 8.0))
    started = time.monotonic()
    assert client.chat(MESSAGES).text
    assert time.monotonic() - started < 6.0  # two attempts of 0.3 s, not the 8 s answer (room for a loaded machine)
    assert len(fake.requests) == 2


def test_unreachable_server_fails_after_retries(make_client):
    client = make_client(base_url="http://127.0.0.1:9/v1", max_retries=1)
    with pytest.raises(LLMError, match="connection failed"):
        client.chat(MESSAGES)


def test_concurrency_is_bounded(fake, make_client):
    client = make_client(max_concurrency=2, cache_dir=None)
    fake.delay = 0.15
    threads = [threading.Thread(target=client.chat, args=([{"role": "user", "content": f"q{i}"}],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(fake.requests) == 8
    assert fake.max_inflight == 2


def test_token_and_cost_accounting(fake, make_client):
    prices = {"fake-judge": PriceSpec(input_per_mtok=2.0, output_per_mtok=8.0)}
    client = make_client(prices=prices)
    fake.script.append(("text", "x" * 400))  # 100 completion tokens
    result = client.chat(MESSAGES)
    prompt_tokens = (len("be brief") + len("hello")) // 4
    assert (result.input_tokens, result.output_tokens) == (prompt_tokens, 100)
    assert result.cost == pytest.approx((prompt_tokens * 2.0 + 100 * 8.0) / 1e6)
    client.chat(MESSAGES)  # cached: free
    totals = client.accounting.snapshot()
    assert totals["calls"] == 2 and totals["cache_hits"] == 1 and totals["output_tokens"] == 100
    assert totals["cost"] == pytest.approx(result.cost)


def test_unpriced_model_counts_tokens_but_no_cost(fake, make_client):
    client = make_client(cache_dir=None)
    result = client.chat(MESSAGES)
    assert result.cost is None
    assert client.accounting.snapshot()["unpriced_calls"] == 1


def test_urllib_fallback_speaks_the_same_protocol(fake, tmp_path):
    from trajsift.config import LLMSpec
    from trajsift.llm.client import ChatClient
    from trajsift.llm.transport import UrllibTransport

    config = LLMSpec(model="m", base_url=fake.base_url, backoff_base=0.01, max_retries=2)
    client = ChatClient(config, transport=UrllibTransport())
    fake.script.extend([("status", 503), ("text", "via urllib")])
    assert client.chat(MESSAGES).text == "via urllib"
    fake.script.append(("status", 404))
    with pytest.raises(LLMError, match="HTTP 404"):
        client.chat([{"role": "user", "content": "other"}])
