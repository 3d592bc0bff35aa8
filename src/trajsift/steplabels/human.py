"""Reviewers' per-step labels from the review database, as step labels that override the rules' labels.

A step label (review `Label` with `step_index >= 0`) maps to a step label by its tags first (a tag named
`useful`, `unnecessary`, `mistake` or `recovery`), else by its decision: `reject` -> mistake, `accept` ->
useful; a `flag` without such a tag leaves the rules' label. When reviewers disagree the most cautious
label wins (mistake, then unnecessary, recovery, useful). The database is only read; this module needs
the `serve` extra (SQLAlchemy) and imports it only when a database is there.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from trajsift.rundir import RunDir
from trajsift.steplabels.rules import LABELS, MISTAKE, RECOVERY, UNNECESSARY, USEFUL, StepLabel

CAUTION = (MISTAKE, UNNECESSARY, RECOVERY, USEFUL)
DECISION_LABEL = {"reject": MISTAKE, "accept": USEFUL}

HumanLabels = dict[str, dict[int, str]]
"""trajectory id -> step index -> label."""


def human_label(decision: str, tags: list[str]) -> str | None:
    """The step label one reviewer's step label stands for, or None (no override)."""
    named = [tag for tag in tags if tag in LABELS]
    if named:
        return min(named, key=CAUTION.index)
    return DECISION_LABEL.get(decision)


def load_human_labels(run_dir: str | Path, db_url: str | None = None) -> HumanLabels:
    """Reviewers' step labels of one run; empty when the run has no review database."""
    root = Path(run_dir)
    if db_url is None and not RunDir(root).review_db.is_file():
        return {}
    import json

    from sqlalchemy import select

    from trajsift.reviewdb import Label, ReviewItem, default_db_url, make_engine, make_sessionmaker
    from trajsift.rundata import run_keys

    run_key = next(iter(run_keys([root])))
    engine = make_engine(db_url or default_db_url(root))
    try:
        with make_sessionmaker(engine)() as db:
            rows = db.execute(
                select(ReviewItem.trajectory_id, Label.step_index, Label.decision, Label.tags)
                .join(Label, Label.item_id == ReviewItem.id)
                .where(ReviewItem.run_key == run_key, Label.step_index >= 0)
            ).all()
    finally:
        engine.dispose()
    votes: dict[tuple[str, int], list[str]] = defaultdict(list)
    for trajectory_id, step_index, decision, tags in rows:
        label = human_label(decision, json.loads(tags or "[]"))
        if label is not None:
            votes[(trajectory_id, step_index)].append(label)
    result: HumanLabels = defaultdict(dict)
    for (trajectory_id, step_index), labels in votes.items():
        result[trajectory_id][step_index] = min(labels, key=CAUTION.index)
    return dict(result)


def apply_human(labels: list[StepLabel], human: dict[int, str]) -> list[StepLabel]:
    """The rules' labels with the reviewers' labels in their place (steps out of range are ignored)."""
    out = list(labels)
    for step_index, label in human.items():
        if 0 <= step_index < len(out):
            out[step_index] = StepLabel(step_index, label, "human_review", "a reviewer's step label", source="human")
    return out
