"""End to end: Debian's Chromium (the `browser` fixture of conftest.py) against a real `trajsift serve`."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select
from tests.review.helpers import PASSWORD, build_run, hostile_trajectory, server


def artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("TRAJSIFT_ARTIFACTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_login_and_review_by_keyboard(browser, tmp_path):
    from trajsift.review.store import Store
    from trajsift.reviewdb import Label, make_engine, make_sessionmaker

    run_dir = build_run(tmp_path, [hostile_trajectory(i, steps=6) for i in range(12)], fraction=0.5)
    db_url = f"sqlite:///{tmp_path / 'review.db'}"
    sessions = make_sessionmaker(make_engine(db_url))
    Store(sessions).add_user("alice", PASSWORD)
    dialogs: list[str] = []
    errors: list[str] = []
    with server(run_dir, db_url) as (base, _process):
        page = browser.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(base + "/queue")
        assert "/login" in page.url
        page.fill('input[name="username"]', "alice")
        page.fill('input[name="password"]', PASSWORD)
        page.click('button[type="submit"]')
        page.wait_for_url(base + "/queue")
        page.keyboard.press("n")  # claim the next item
        page.wait_for_url(lambda url: "/item/" in url)
        page.keyboard.press("j")
        page.keyboard.press("j")
        assert page.get_attribute("#step-1", "class").split().count("current") == 1
        page.keyboard.press("Shift+F")  # flag the current step
        page.wait_for_selector("#status.ok")
        assert page.inner_text('#step-1 [data-role="step-label"]') == "flag"
        page.keyboard.press("a")  # accept the trajectory
        page.locator("#status", has_text="accept for trajectory").wait_for()
        page.screenshot(path=str(artifacts(tmp_path) / "review-item.png"), full_page=False)
        item_url = page.url
        # a second tab with the old version: its edit is refused with a visible conflict message
        stale = browser.new_page()
        stale.context.add_cookies(page.context.cookies())
        stale.goto(item_url)
        page.keyboard.press("r")
        page.locator("#status", has_text="version 2").wait_for()
        stale.keyboard.press("f")
        stale.wait_for_selector("#status.conflict")
        assert "Conflict" in stale.inner_text("#status")
        stale.screenshot(path=str(artifacts(tmp_path) / "review-conflict.png"))
        page.keyboard.press("n")
        page.wait_for_url(lambda url: url != item_url)
    assert dialogs == []  # no payload ever ran alert()
    assert not [e for e in errors if "Content Security Policy" in e]
    with sessions() as db:
        decisions = {(label.step_index, label.decision, label.version) for label in db.scalars(select(Label)).all()}
    assert decisions == {(1, "flag", 1), (-1, "reject", 2)}
