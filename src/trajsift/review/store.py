"""Labels on top of the review database (users and login sessions: `trajsift.web.accounts`).

Label writes use optimistic concurrency: a write names the version it edits (0 for a new label);
a stale version raises `LabelConflict` carrying the current label, never overwriting it.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from trajsift.errors import TrajsiftError
from trajsift.reviewdb import DECISIONS, TRAJECTORY_LEVEL, Assignment, Label, LabelEvent, ReviewItem
from trajsift.web.accounts import Accounts

MAX_COMMENT = 10_000
MAX_TAGS = 20


class LabelConflict(TrajsiftError):
    def __init__(self, current: dict[str, Any] | None) -> None:
        super().__init__("label was changed by another write")
        self.current = current


class InvalidLabel(TrajsiftError, ValueError):
    pass


class UnknownItem(TrajsiftError, LookupError):
    pass


class Store(Accounts):
    """Accounts and sessions (`web.accounts`) plus the reviewers' labels."""

    # --- labels --------------------------------------------------------------------------------
    def save_label(
        self,
        item_id: int,
        reviewer_id: int,
        step_index: int,
        decision: str,
        tags: list[str],
        comment: str,
        version: int,
    ) -> dict[str, Any]:
        """Create (version 0) or update (current version) a label; returns the stored label."""
        _validate(decision, tags, comment, step_index)
        values = {"decision": decision, "tags": json.dumps(sorted(set(tags))), "comment": comment}
        now = time.time()
        key = (Label.item_id == item_id, Label.reviewer_id == reviewer_id, Label.step_index == step_index)
        try:
            with self.sessions.begin() as db:
                if db.get(ReviewItem, item_id) is None:
                    raise UnknownItem(item_id)
                if version == 0:
                    label = Label(item_id=item_id, reviewer_id=reviewer_id, step_index=step_index, **values)
                    label.version, label.updated_at = 1, now
                    db.add(label)
                    db.flush()
                    label_id, new_version = label.id, 1
                else:
                    label_id = db.execute(
                        update(Label)
                        .where(*key, Label.version == version)
                        .values(version=version + 1, updated_at=now, **values)
                        .returning(Label.id)
                    ).scalar()
                    if label_id is None:
                        raise LabelConflict(None)
                    new_version = version + 1
                db.add(LabelEvent(label_id=label_id, version=new_version, reviewer_id=reviewer_id, at=now, **values))
                if step_index == TRAJECTORY_LEVEL:
                    db.execute(
                        update(Assignment)
                        .where(Assignment.item_id == item_id, Assignment.reviewer_id == reviewer_id)
                        .values(done=True)
                    )
        except (LabelConflict, IntegrityError) as error:
            raise LabelConflict(self.label(item_id, reviewer_id, step_index)) from error
        return {"id": label_id, "step": step_index, "version": new_version, **values, "tags": sorted(set(tags))}

    def label(self, item_id: int, reviewer_id: int, step_index: int) -> dict[str, Any] | None:
        with self.sessions() as db:
            label = db.scalars(
                select(Label).where(
                    Label.item_id == item_id, Label.reviewer_id == reviewer_id, Label.step_index == step_index
                )
            ).first()
        return label_dict(label) if label else None

    def labels_of_item(self, item_id: int) -> list[dict[str, Any]]:
        names = self.user_names()
        with self.sessions() as db:
            labels = db.scalars(select(Label).where(Label.item_id == item_id).order_by(Label.step_index)).all()
        return [{**label_dict(label), "reviewer": names.get(label.reviewer_id, "?")} for label in labels]

    def trajectory_labels(self) -> list[tuple[int, int, str, float]]:
        """(item_id, reviewer_id, decision, updated_at) of every whole-trajectory label."""
        with self.sessions() as db:
            rows = db.execute(
                select(Label.item_id, Label.reviewer_id, Label.decision, Label.updated_at).where(
                    Label.step_index == TRAJECTORY_LEVEL
                )
            )
            return [tuple(row) for row in rows]


def label_dict(label: Label) -> dict[str, Any]:
    return {
        "id": label.id,
        "item_id": label.item_id,
        "reviewer_id": label.reviewer_id,
        "step": label.step_index,
        "decision": label.decision,
        "tags": json.loads(label.tags or "[]"),
        "comment": label.comment,
        "version": label.version,
        "updated_at": label.updated_at,
    }


def _validate(decision: str, tags: list[str], comment: str, step_index: int) -> None:
    if decision not in DECISIONS:
        raise InvalidLabel(f"decision must be one of {', '.join(DECISIONS)}")
    if not isinstance(tags, list) or len(tags) > MAX_TAGS or not all(isinstance(t, str) and len(t) <= 60 for t in tags):
        raise InvalidLabel(f"tags: at most {MAX_TAGS} strings of <= 60 characters")
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise InvalidLabel(f"comment: at most {MAX_COMMENT} characters")
    if not isinstance(step_index, int) or step_index < TRAJECTORY_LEVEL:
        raise InvalidLabel("step must be -1 (whole trajectory) or a step index")
