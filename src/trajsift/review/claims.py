"""Claims on review items: the next free item, the item a reviewer opens, skips and releases.

Claims expire, and taking a slot is atomic in the database (a unique (item, slot) row, or a conditional
update of an expired one). An item has one slot, or two when it is double-reviewed (by two different
reviewers). Items that left the queue in a rerun are never handed out.
"""

from __future__ import annotations

import time

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from trajsift.reviewdb import TRAJECTORY_LEVEL, Assignment, Label, ReviewItem, Sessions, Skip


def claim_next(
    sessions: Sessions, reviewer_id: int, ttl: float, now: float | None = None, skip: int | None = None
) -> int | None:
    """The reviewer's live claim, or a newly claimed free slot of the next item; None if none is left.
    `skip`: the item the reviewer passes on (released, and offered again only when nothing else is left)."""
    now = time.time() if now is None else now
    if skip is not None:
        skip_item(sessions, skip, reviewer_id, now)
    with sessions.begin() as db:
        held = db.scalars(
            select(Assignment)
            .join(ReviewItem, ReviewItem.id == Assignment.item_id)
            .where(Assignment.reviewer_id == reviewer_id, ~Assignment.done, Assignment.expires_at > now)
            .where(ReviewItem.in_queue)
            .order_by(Assignment.id)
        ).first()
        if held is not None:
            held.expires_at = now + ttl
            return held.item_id
        for item_id, double in db.execute(_candidates(reviewer_id, now)):
            for slot in (1, 2) if double else (1,):
                if _take_slot(db, item_id, slot, reviewer_id, now, ttl):
                    return item_id
    return None


def claim_item(sessions: Sessions, item_id: int, reviewer_id: int, ttl: float, now: float | None = None) -> str:
    """Opening an item claims a free slot of it. Returns `mine` (held or taken now), `done` (labelled by
    this reviewer), `taken` (every slot held by others) or `closed` (the item left the queue)."""
    now = time.time() if now is None else now
    with sessions.begin() as db:
        item = db.get(ReviewItem, item_id)
        if item is None or not item.in_queue:
            return "closed"
        mine = db.scalars(
            select(Assignment).where(Assignment.item_id == item_id, Assignment.reviewer_id == reviewer_id)
        )
        held = mine.first()
        decided = select(Label.id).where(
            Label.item_id == item_id, Label.reviewer_id == reviewer_id, Label.step_index == TRAJECTORY_LEVEL
        )
        if (held is not None and held.done) or db.scalars(decided).first() is not None:
            return "done"
        if held is not None and held.expires_at > now:
            held.expires_at = now + ttl
            return "mine"
        slots = (1, 2) if item.double_review else (1,)
        if any(_take_slot(db, item_id, slot, reviewer_id, now, ttl) for slot in slots):
            return "mine"
    return "taken"


def skip_item(sessions: Sessions, item_id: int, reviewer_id: int, now: float) -> None:
    release(sessions, item_id, reviewer_id)
    with sessions.begin() as db:
        known = db.scalars(select(Skip).where(Skip.item_id == item_id, Skip.reviewer_id == reviewer_id)).first()
        if known is not None:
            known.at = now
        elif db.get(ReviewItem, item_id) is not None:
            db.add(Skip(item_id=item_id, reviewer_id=reviewer_id, at=now))


def _candidates(reviewer_id: int, now: float, limit: int = 50):
    live = or_(Assignment.done, Assignment.expires_at > now)
    taken = (
        select(func.count(Assignment.id))
        .where(Assignment.item_id == ReviewItem.id, live)
        .correlate(ReviewItem)
        .scalar_subquery()
    )
    mine = exists().where(
        Assignment.item_id == ReviewItem.id, Assignment.reviewer_id == reviewer_id, Assignment.expires_at > now
    )
    labelled = exists().where(
        Label.item_id == ReviewItem.id, Label.reviewer_id == reviewer_id, Label.step_index == TRAJECTORY_LEVEL
    )
    skipped = select(Skip.at).where(Skip.item_id == ReviewItem.id, Skip.reviewer_id == reviewer_id)
    skipped_at = func.coalesce(skipped.correlate(ReviewItem).scalar_subquery(), 0.0)
    slots = select(ReviewItem.id, ReviewItem.double_review).where(ReviewItem.in_queue, ~mine, ~labelled)
    slots = slots.where(or_(taken < 1, and_(ReviewItem.double_review, taken < 2)))
    return slots.order_by(skipped_at, ReviewItem.id).limit(limit)


def _take_slot(db, item_id: int, slot: int, reviewer_id: int, now: float, ttl: float) -> bool:
    try:
        with db.begin_nested():
            claim = Assignment(item_id=item_id, slot=slot, reviewer_id=reviewer_id, claimed_at=now)
            claim.expires_at = now + ttl
            db.add(claim)
        return True
    except IntegrityError:
        pass
    taken_over = db.execute(
        update(Assignment)
        .where(Assignment.item_id == item_id, Assignment.slot == slot, ~Assignment.done, Assignment.expires_at <= now)
        .values(reviewer_id=reviewer_id, claimed_at=now, expires_at=now + ttl)
    )
    return taken_over.rowcount == 1


def release(sessions: Sessions, item_id: int, reviewer_id: int) -> None:
    with sessions.begin() as db:
        db.execute(
            update(Assignment)
            .where(Assignment.item_id == item_id, Assignment.reviewer_id == reviewer_id, ~Assignment.done)
            .values(expires_at=0.0)
        )
