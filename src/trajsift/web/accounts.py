"""Reviewer accounts, login sessions and the login form's CSRF nonces, on top of the review database.

Passwords are stored as scrypt hashes; session and nonce tokens only as SHA-256 hashes. `Accounts` is what
`trajsift.web.auth` needs from `app.state.store` (the review app's `Store` extends it with labels).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from trajsift.reviewdb import LoginNonce, Sessions, User, WebSession

SCRYPT = {"n": 2**14, "r": 8, "p": 1}


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


class Accounts:
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
