"""Users, login sessions and labels on top of the review database.

Label writes use optimistic concurrency: a write names the version it edits (0 for a new label);
a stale version raises `LabelConflict` carrying the current label, never overwriting it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from trajsift.errors import TrajsiftError
from trajsift.review.db import (
    DECISIONS,
    TRAJECTORY_LEVEL,
    Assignment,
    Label,
    LabelEvent,
    LoginNonce,
    ReviewItem,
    Sessions,
    User,
    WebSession,
)

SCRYPT = {"n": 2**14, "r": 8, "p": 1}
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


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        actual = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual.hex(), digest)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class CurrentUser:
    id: int
    name: str
    csrf_token: str


class Store:
    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions

    # --- users ---------------------------------------------------------------------------------
    def add_user(self, name: str, password: str) -> int:
        if not name or len(name) > 100 or len(password) < 8:
            raise ValueError("a user needs a name (<= 100 chars) and a password of at least 8 characters")
        with self.sessions.begin() as db:
            user = User(name=name, password_hash=hash_password(password), created_at=time.time())
            db.add(user)
            try:
                db.flush()
            except IntegrityError as error:
                raise ValueError(f"user {name!r} exists already") from error
            return user.id

    def user_count(self) -> int:
        with self.sessions() as db:
            return len(db.scalars(select(User.id)).all())

    def user_names(self) -> dict[int, str]:
        with self.sessions() as db:
            return dict(db.execute(select(User.id, User.name)).all())

    def authenticate(self, name: str, password: str) -> int | None:
        with self.sessions() as db:
            user = db.scalars(select(User).where(User.name == name)).first()
        if user is None:
            verify_password(password, hash_password("timing-equaliser"))
            return None
        return user.id if verify_password(password, user.password_hash) else None

    # --- login sessions ------------------------------------------------------------------------
    def open_session(self, user_id: int, max_age: float, instance: str = "") -> str:
        """A fresh random token for every login (no session fixation), valid only on server `instance`;
        returns the cookie value."""
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self.sessions.begin() as db:
            db.execute(delete(WebSession).where(WebSession.expires_at < now))
            db.add(
                WebSession(
                    token_hash=token_hash(token),
                    user_id=user_id,
                    csrf_token=secrets.token_urlsafe(32),
                    created_at=now,
                    expires_at=now + max_age,
                    instance=instance,
                )
            )
        return token

    def session_user(self, token: str, instance: str = "") -> CurrentUser | None:
        if not token or len(token) > 200:
            return None
        with self.sessions() as db:
            row = db.execute(
                select(User.id, User.name, WebSession.csrf_token)
                .join(WebSession, WebSession.user_id == User.id)
                .where(
                    WebSession.token_hash == token_hash(token),
                    WebSession.expires_at > time.time(),
                    WebSession.instance == instance,
                )
            ).first()
        return CurrentUser(*row) if row else None

    def open_login_form(self, instance: str, max_age: float = 3600) -> tuple[str, str]:
        """(pre-login cookie value, form CSRF token): the token is kept server-side, bound to the cookie."""
        cookie, token, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), time.time()
        with self.sessions.begin() as db:
            db.execute(delete(LoginNonce).where(LoginNonce.expires_at < now))
            db.add(
                LoginNonce(
                    cookie_hash=token_hash(cookie), csrf_token=token, instance=instance, expires_at=now + max_age
                )
            )
        return cookie, token

    def login_form_valid(self, cookie: str, sent: str, instance: str) -> bool:
        """Whether `sent` is the token issued with `cookie` on this instance (until a login succeeds)."""
        if not cookie or not sent or len(cookie) > 200:
            return False
        with self.sessions() as db:
            nonce = db.get(LoginNonce, token_hash(cookie))
        if nonce is None or nonce.instance != instance or nonce.expires_at < time.time():
            return False
        return hmac.compare_digest(nonce.csrf_token.encode(), sent.encode())

    def close_login_form(self, cookie: str) -> None:
        with self.sessions.begin() as db:
            db.execute(delete(LoginNonce).where(LoginNonce.cookie_hash == token_hash(cookie)))

    def close_session(self, token: str) -> None:
        with self.sessions.begin() as db:
            db.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))

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
