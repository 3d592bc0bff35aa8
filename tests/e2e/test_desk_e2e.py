"""The reviewer's desk in Debian's Chromium against a real `trajsift serve`: keyboard flows after mouse use,
step notes, deep links, unsaved-change protection, skip and the empty queue, side by side, and a login
CSRF attempt from a page on another local port."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import select
from tests.review.helpers import PASSWORD, build_run, hostile_trajectory, server

from trajsift.review.store import Store
from trajsift.reviewdb import Label, ReviewItem, make_engine, make_sessionmaker


def _log_in(page, base: str, name: str = "alice") -> None:
    page.goto(base + "/queue")
    page.fill('input[name="username"]', name)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url(base + "/queue")


def _labels(sessions) -> dict[tuple[int, int], Label]:
    with sessions() as db:
        return {(label.item_id, label.step_index): label for label in db.scalars(select(Label)).all()}


def _setup(tmp_path, count: int = 8, fraction: float = 0.5):
    run_dir = build_run(tmp_path, [hostile_trajectory(i, steps=6) for i in range(count)], fraction=fraction)
    db_url = f"sqlite:///{tmp_path / 'review.db'}"
    sessions = make_sessionmaker(make_engine(db_url))
    Store(sessions).add_user("alice", PASSWORD)
    return run_dir, db_url, sessions


def test_keyboard_flows_notes_deep_links_and_unsaved_changes(browser, tmp_path):
    run_dir, db_url, sessions = _setup(tmp_path)
    dialogs: list[str] = []
    with server(run_dir, db_url) as (base, _process):
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        _log_in(page, base)
        page.keyboard.press("n")
        page.wait_for_url(lambda url: "/item/" in url)
        item_id = int(page.url.rsplit("/", 1)[1].split("#")[0])
        # a tag ticked with the mouse, then the keyboard still decides
        page.check('input[name="tag"][value="looping"]')
        page.keyboard.press("a")
        page.locator("#status", has_text="accept for trajectory").wait_for()
        # Shift+R labels the step in view without focusing a step first
        page.keyboard.press("Shift+R")
        page.locator("#status", has_text="reject for step 0").wait_for()
        # a comment on a step: c opens it, Escape leaves the box, Shift+F saves it with the step's label
        page.keyboard.press("j")  # Shift+R made step 0 the current one
        page.keyboard.press("c")
        page.keyboard.type("wrong file <b>x</b>")
        page.keyboard.press("Escape")
        page.check('#step-1 input[data-step-tag][value="wrong_fix"]')  # a step tag, with the mouse
        page.keyboard.press("Shift+F")
        page.locator("#status", has_text="flag for step 1").wait_for()
        assert "#step-1" in page.url  # the current step is a deep link
        # unsaved-change protection: n refuses once, s saves, then n skips to another item
        page.fill("#comment", "needs a second look")
        page.keyboard.press("Escape")
        page.keyboard.press("n")
        page.locator("#status", has_text="unsaved changes").wait_for()
        assert f"/item/{item_id}" in page.url
        page.keyboard.press("s")
        page.locator("#status", has_text="Saved accept for trajectory (version 2)").wait_for()
        page.keyboard.press("n")
        page.wait_for_url(lambda url: f"/item/{item_id}" not in url)
        # deep link to a step: it is the current one and its observation is open
        page.goto(f"{base}/item/{item_id}#step-4")
        assert "current" in page.get_attribute("#step-4", "class").split()
        assert page.locator("#step-4 details.obs").get_attribute("open") is not None
        font = page.eval_on_selector("#step-4 .obs-text", "el => getComputedStyle(el).fontFamily")
        assert "mono" in font.lower() or "menlo" in font.lower()
        assert "\\n" not in page.inner_text("#step-4 .obs-text")
        diff_lines = page.locator("#diff > div").count()
        assert diff_lines >= 6 and page.inner_text("#diff").count("\n\n") == 0  # no blank line after each line
    assert dialogs == []
    labels = _labels(sessions)
    assert labels[(item_id, -1)].decision == "accept" and labels[(item_id, -1)].comment == "needs a second look"
    assert "looping" in labels[(item_id, -1)].tags
    assert labels[(item_id, 0)].decision == "reject"
    assert labels[(item_id, 1)].decision == "flag" and labels[(item_id, 1)].comment == "wrong file <b>x</b>"
    assert "wrong_fix" in labels[(item_id, 1)].tags


def test_empty_queue_says_so_and_side_by_side_is_inert(browser, tmp_path):
    run_dir, db_url, sessions = _setup(tmp_path, count=4, fraction=1.0)
    dialogs: list[str] = []
    with server(run_dir, db_url) as (base, _process):
        page = browser.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        _log_in(page, base)
        for _ in range(8):
            before = page.url
            page.keyboard.press("n")
            page.wait_for_url(lambda url, before=before: url != before)
            if "/queue" in page.url:
                break
            page.keyboard.press("r")
            page.locator("#status", has_text="Saved reject").wait_for()
        page.wait_for_selector("#queue-empty")
        assert "The queue is empty" in page.inner_text("#queue-empty")
        with sessions() as db:
            items = db.scalars(select(ReviewItem)).all()
        a, b = items[0], items[1]
        page.goto(f"{base}/compare?ra={a.run_key}&ta={_q(a.trajectory_id)}&rb={b.run_key}&tb={_q(b.trajectory_id)}")
        assert page.locator("#compare tbody tr").count() == 7  # six step pairs and the patches
        page.goto(f"{base}/queue?q={_q('<img src=x onerror=alert(1)>')}&text={_q('<script>alert(2)</script>')}")
        page.wait_for_selector("#queue-none")
    assert dialogs == []


def _q(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


class _AttackerSite:
    """A page on another local port: plants a login cookie for 127.0.0.1 and posts the attacker's form."""

    def __init__(self, target: str, cookie_name: str, cookie: str, token: str) -> None:
        html = (
            f"<html><body><script>document.cookie = '{cookie_name}={cookie}; path=/';</script>"
            f'<form id="f" method="post" action="{target}/login">'
            '<input name="username" value="mallory"><input name="password" value="mallory password!">'
            f'<input name="csrf_token" value="{token}"><input name="next" value="/queue"></form>'
            "<script>document.getElementById('f').submit();</script></body></html>"
        ).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(html)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_login_csrf_from_another_local_port_fails_in_chromium(browser, tmp_path):
    import httpx

    run_dir, db_url, sessions = _setup(tmp_path, count=4)
    Store(sessions).add_user("mallory", "mallory password!")
    with server(run_dir, db_url) as (base, _process):
        form = httpx.get(base + "/login")  # the attacker fetches a valid form for himself
        name = next(n for n in form.cookies if n.endswith("_login"))
        token = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        attacker = _AttackerSite(base, name, form.cookies[name], token)
        try:
            page = browser.new_page()
            response_codes: list[int] = []
            page.on("response", lambda r: response_codes.append(r.status) if r.url.endswith("/login") else None)
            page.goto(attacker.url)
            deadline = time.monotonic() + 20
            while 403 not in response_codes and time.monotonic() < deadline:
                page.wait_for_timeout(100)
            assert 403 in response_codes
            page.goto(base + "/queue")
            assert "/login" in page.url  # the victim's browser is not logged in as mallory
            assert not any(c["name"].endswith("_session") for c in page.context.cookies())
        finally:
            attacker.server.shutdown()
            attacker.server.server_close()
