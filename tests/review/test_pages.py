"""Every page rendered over hostile data: no payload executes; ids never become paths; big observations page."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import quote, urlencode

import pytest
from fastapi.testclient import TestClient

from .helpers import XSS, login

ALLOWED_TAGS = {
    "html", "head", "meta", "title", "link", "body", "header", "nav", "a", "form", "input", "span", "button", "main",
    "section", "h1", "h2", "p", "b", "table", "thead", "tbody", "tr", "th", "td", "ol", "li", "div", "pre",
    "details", "summary", "aside", "fieldset", "legend", "label", "textarea", "ul", "code", "svg", "rect", "script",
    "select", "option", "template",
}  # fmt: skip


class Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "srcdoc", "formaction"):
                self.problems.append(f"attribute {name} on <{tag}>")
            if name in ("href", "src", "action") and value and not value.startswith(("/", "#")):
                self.problems.append(f"{name}={value!r} on <{tag}>")
        if tag == "script" and dict(attrs).get("src") != "/static/review/review.js":
            self.problems.append(f"script {attrs}")


def audit(html: str) -> list[str]:
    parser = Audit()
    parser.feed(html)
    parser.close()
    problems = parser.problems
    for payload in XSS:
        if "<" in payload and payload in html:
            problems.append(f"raw payload {payload!r}")
    return problems


@pytest.fixture
def client(make_app):
    app = make_app(kept_share=1.0)
    client = TestClient(app)
    client.headers["X-CSRF-Token"] = login(client, "alice")
    return client


def compare_url(client, first: int, second: int) -> str:
    """The side-by-side page of two items' trajectories."""
    from trajsift.reviewdb import ReviewItem

    with client.app.state.sessions() as db:
        a, b = db.get(ReviewItem, first), db.get(ReviewItem, second)
    return "/compare?" + urlencode({"ra": a.run_key, "ta": a.trajectory_id, "rb": b.run_key, "tb": b.trajectory_id})


def item_ids(client) -> list[int]:
    from sqlalchemy import select

    from trajsift.reviewdb import ReviewItem

    with client.app.state.sessions() as db:
        return list(db.scalars(select(ReviewItem.id)).all())


def test_every_page_escapes_the_xss_corpus(client):
    assert len(XSS) >= 25
    ids = item_ids(client)
    assert len(ids) >= 40
    client.put(
        f"/api/items/{ids[0]}/labels",
        json={"step": -1, "decision": "flag", "tags": ["looping"], "comment": XSS[1], "version": 0},
    )
    client.put(
        f"/api/items/{ids[0]}/labels",
        json={"step": 2, "decision": "reject", "tags": [], "comment": XSS[2], "version": 0},
    )
    pages = ["/queue", "/balance", "/agreement", "/login", "/queue?page=1"] + [f"/item/{i}" for i in ids]
    pages += [f"/queue?q={quote(p)}&text={quote(p)}&category={quote(p)}&sort=score&dir=desc" for p in XSS]
    pages += [compare_url(client, ids[0], ids[1]), "/queue?status=left", f"/error?{quote(XSS[0])}"]
    seen_payload_text = 0
    for path in pages:
        response = client.get(path)
        assert response.status_code == (404 if path.startswith("/error") else 200), path
        assert response.headers["content-type"].startswith("text/html")
        assert audit(response.text) == [], path
        seen_payload_text += response.text.count("&lt;script&gt;alert(1)&lt;/script&gt;")
    assert seen_payload_text > 10  # the payloads are shown, as text


def test_json_endpoints_are_json(client):
    item = item_ids(client)[0]
    for path in (
        "/api/agreement",
        "/api/balance",
        f"/api/items/{item}/labels",
        f"/api/items/{item}/steps/0/observation",
    ):
        response = client.get(path)
        assert response.status_code == 200 and response.headers["content-type"] == "application/json", path


@pytest.mark.parametrize(
    "path",
    [
        "/item/../../etc/passwd",
        "/item/..%2F..%2Fetc%2Fpasswd",
        "/item/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/item/1%2F..%2F..%2Fetc%2Fpasswd",
        "/item/-1",
        "/item/999999",
        "/api/items/..%2F..%2Fetc%2Fpasswd/labels",
        "/api/items/1/steps/..%2F..%2Fetc%2Fpasswd/observation",
        "/api/items/1/steps/99999/observation",
        "/trajectory?id=../../etc/passwd",
        "/trajectory?run=..%2F..%2Fetc&id=passwd",
        "/trajectory?id=%2Fetc%2Fpasswd",
        "/static/review/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/static/review/../../../../etc/passwd",
    ],
)
def test_path_traversal_through_ids(client, path):
    response = client.get(path)
    assert response.status_code in (404, 422), (path, response.status_code)
    assert "root:" not in response.text


def test_trajectory_lookup_by_id_in_data(client):
    from sqlalchemy import select

    from trajsift.reviewdb import ReviewItem

    with client.app.state.sessions() as db:
        item = db.scalars(select(ReviewItem)).first()
    response = client.get("/trajectory", params={"run": item.run_key, "id": item.trajectory_id}, follow_redirects=False)
    assert response.headers["location"] == f"/item/{item.id}"


def test_big_observation_is_sent_in_bounded_pages(client, hostile_run):
    from sqlalchemy import select

    from trajsift.reviewdb import ReviewItem

    with client.app.state.sessions() as db:
        item = db.scalars(select(ReviewItem).where(ReviewItem.trajectory_id.like("t041-%"))).first()
    page = client.get(f"/item/{item.id}")
    assert page.status_code == 200 and len(page.text) < 200_000
    total, offset, text = None, 0, []
    while offset is not None:
        chunk = client.get(
            f"/api/items/{item.id}/steps/0/observation", params={"offset": offset, "limit": 1_000_000}
        ).json()
        assert len(chunk["text"]) <= 65536
        text.append(chunk["text"])
        total, offset = chunk["total"], chunk["next_offset"]
    assert len("".join(text)) == total > 2_000_000


def test_long_trajectory_page_and_diff_classes(client):
    from sqlalchemy import select

    from trajsift.reviewdb import ReviewItem

    with client.app.state.sessions() as db:
        item = db.scalars(select(ReviewItem).where(ReviewItem.trajectory_id.like("t040-%"))).first()
    html = client.get(f"/item/{item.id}").text
    assert html.count('<li class="step') == 150
    for cls in ("diff-add", "diff-del", "diff-hunk", "diff-file"):
        assert f'class="{cls}"' in html


def test_stale_version_is_409_over_http(client):
    item = item_ids(client)[0]
    url = f"/api/items/{item}/labels"
    assert (
        client.put(url, json={"step": -1, "decision": "accept", "tags": [], "comment": "", "version": 0}).json()[
            "version"
        ]
        == 1
    )
    assert (
        client.put(url, json={"step": -1, "decision": "reject", "tags": [], "comment": "", "version": 1}).status_code
        == 200
    )
    stale = client.put(url, json={"step": -1, "decision": "flag", "tags": [], "comment": "", "version": 1})
    assert stale.status_code == 409
    assert stale.json()["current"]["decision"] == "reject"
    assert client.put(url, json={"step": "x", "decision": "flag", "version": 2}).status_code == 422
    assert client.put(url, content=b"not json", headers={"content-type": "application/json"}).status_code == 400


def test_test_logs_read_as_text_in_full_without_ansi():
    import json

    from trajsift.review.viewer import plain, readable, score_rows

    log = "\x1b[31mFAILED\x1b[0m tests/test_a.py::test_x\r\n" + "line\n" * 1000
    encoded = json.dumps({"log": log, "failed": ["test_x", "test_y"]})
    text = readable(encoded)
    assert "\\n" not in text and "\x1b" not in text and "\r" not in text
    assert text.startswith("log:\nFAILED tests/test_a.py::test_x\nline") and len(text) > 5000  # not cut at 2,000
    assert "failed: test_x, test_y" in text
    tests, _scores = score_rows({"correctness.tests.log": encoded, "correctness.tests.verdict": "incorrect"})
    assert [row["long"] for row in tests] == [True, False]
    assert plain("a\x1b]0;title\x07b\x1b[1;32mc") == "abc"
