"""Reviewers' step labels (review database, real SQLite) override the rules' labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from trajsift.steplabels import MISTAKE, RECOVERY, UNNECESSARY, USEFUL, StepLabel, apply_human, human_label
from trajsift.steplabels.human import load_human_labels

pytest.importorskip("sqlalchemy")


def test_tags_name_the_label_and_decisions_fill_in():
    assert human_label("flag", ["unnecessary"]) == UNNECESSARY
    assert human_label("accept", ["recovery", "mistake"]) == MISTAKE  # the most cautious tag wins
    assert human_label("reject", []) == MISTAKE
    assert human_label("accept", ["typo"]) == USEFUL
    assert human_label("flag", []) is None


def test_apply_human_replaces_in_range_steps_only():
    rules = [StepLabel(0, USEFUL, "default"), StepLabel(1, MISTAKE, "failed_edit")]
    out = apply_human(rules, {1: RECOVERY, 7: MISTAKE})
    assert [(label.label, label.source) for label in out] == [(USEFUL, "rules"), (RECOVERY, "human")]
    assert out[1].rule == "human_review"


def _review_db(run_dir: Path) -> tuple[object, int, int]:
    from trajsift.review.store import Store
    from trajsift.reviewdb import ReviewItem, default_db_url, make_engine, make_sessionmaker

    sessions = make_sessionmaker(make_engine(default_db_url(run_dir)))
    store = Store(sessions)
    with sessions.begin() as db:
        item = ReviewItem(run_key=run_dir.name, trajectory_id="traj-1", origin="review", pipeline_decision="review")
        db.add(item)
        db.flush()
        item_id = item.id
    return store, item_id, store.add_user("alice", "a-long-password")


def test_load_human_labels_from_the_runs_review_database(tmp_path: Path):
    run_dir = tmp_path / "run-a"
    run_dir.mkdir()
    assert load_human_labels(run_dir) == {}
    store, item_id, alice = _review_db(run_dir)
    bob = store.add_user("bob", "another-long-password")
    store.save_label(item_id, alice, 2, "reject", [], "breaks the parser", 0)
    store.save_label(item_id, bob, 2, "accept", [], "", 0)
    store.save_label(item_id, alice, 4, "accept", [], "", 0)
    store.save_label(item_id, alice, 5, "flag", [], "not sure", 0)
    store.save_label(item_id, alice, -1, "reject", [], "whole run", 0)
    assert load_human_labels(run_dir) == {"traj-1": {2: MISTAKE, 4: USEFUL}}
    store.sessions.engine.dispose()
