"""The review database: SQLAlchemy 2 models and the engine (SQLite WAL by default, PostgreSQL by URL).

Accounts and login sessions (used by `trajsift.web`), review items and labels (used by `trajsift.review`,
read by `trajsift.steplabels.human`). A core module: SQLAlchemy only, no web framework; review items are
stored under the run key of `rundata.run_keys`.

Times are epoch seconds (floats) so both back ends store them the same way. Labels carry a
`version` for optimistic concurrency; every acknowledged write is also appended to `label_events`.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import (
    Boolean,
    Engine,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from trajsift.rundir import RunDir

IMMEDIATE = "trajsift_immediate"
TRAJECTORY_LEVEL = -1
"""`Label.step_index` of a label about the whole trajectory."""
DECISIONS = ("accept", "reject", "flag")


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[float] = mapped_column(Float)


class LoginNonce(Base):
    """Login-form CSRF token kept server-side, bound to a random pre-login cookie (hash stored)."""

    __tablename__ = "login_nonces"
    cookie_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    instance: Mapped[str] = mapped_column(String(64), default="")
    expires_at: Mapped[float] = mapped_column(Float)


class WebSession(Base):
    """Server-side login session; only a hash of the cookie token is stored."""

    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)
    instance: Mapped[str] = mapped_column(String(64), default="")
    """The server instance (database + address) that opened the session; other instances refuse it."""


class ReviewItem(Base):
    __tablename__ = "review_items"
    __table_args__ = (UniqueConstraint("run_key", "trajectory_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_key: Mapped[str] = mapped_column(String(200))
    trajectory_id: Mapped[str] = mapped_column(String(1000))
    origin: Mapped[str] = mapped_column(String(40))
    """`review` (a row of review.parquet), `kept_sample` or `rejected_sample`."""
    pipeline_decision: Mapped[str] = mapped_column(String(20))
    """What the pipeline would do without a reviewer: keep, drop or review (undecided)."""
    reasons: Mapped[str] = mapped_column(Text, default="[]")
    category: Mapped[str] = mapped_column(String(300), default="")
    difficulty: Mapped[str] = mapped_column(String(300), default="")
    model: Mapped[str] = mapped_column(String(300), default="")
    scaffold: Mapped[str] = mapped_column(String(300), default="")
    double_review: Mapped[bool] = mapped_column(Boolean, default=False)
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    """Fingerprint of the run (recipe + inputs, from run.json) the item was last seen in."""
    in_queue: Mapped[bool] = mapped_column(Boolean, default=True)
    """False once a rerun took the trajectory out of the queue; its labels are kept."""
    score: Mapped[float | None] = mapped_column(Float, nullable=True, default=None)
    verdict: Mapped[str] = mapped_column(String(40), default="")
    task_id: Mapped[str] = mapped_column(String(300), default="")


class Assignment(Base):
    """A reviewer's claim on one review slot of an item (slot 2 exists for double-reviewed items)."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("item_id", "slot"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"), index=True)
    slot: Mapped[int] = mapped_column(Integer)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    claimed_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)
    done: Mapped[bool] = mapped_column(Boolean, default=False)


class Skip(Base):
    """A reviewer passed on an item ("next" without deciding): it comes back only when nothing else is left."""

    __tablename__ = "skips"
    __table_args__ = (UniqueConstraint("item_id", "reviewer_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    at: Mapped[float] = mapped_column(Float)


class Label(Base):
    __tablename__ = "labels"
    __table_args__ = (UniqueConstraint("item_id", "reviewer_id", "step_index"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    step_index: Mapped[int] = mapped_column(Integer, default=TRAJECTORY_LEVEL)
    decision: Mapped[str] = mapped_column(String(10))
    tags: Mapped[str] = mapped_column(Text, default="[]")
    comment: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[float] = mapped_column(Float)


class LabelEvent(Base):
    """Append-only history: one row per acknowledged label write."""

    __tablename__ = "label_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label_id: Mapped[int] = mapped_column(ForeignKey("labels.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(10))
    tags: Mapped[str] = mapped_column(Text, default="[]")
    comment: Mapped[str] = mapped_column(Text, default="")
    reviewer_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[float] = mapped_column(Float)


def default_db_url(run_dir: str | Path) -> str:
    return f"sqlite:///{RunDir(Path(run_dir).resolve()).review_db}"


def normalise_url(url: str) -> str:
    """`postgresql://...` uses psycopg 3; anything else is passed to SQLAlchemy unchanged."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, pool_size=16)
        _configure_sqlite(engine)
    else:
        engine = create_engine(url, pool_size=16, max_overflow=16, pool_pre_ping=True)
    Base.metadata.create_all(engine)
    _add_missing_columns(engine)
    return engine


def _add_missing_columns(engine: Engine) -> None:
    """Databases made by an older version get the newer nullable / defaulted columns (no data rewritten)."""
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            kind = column.type.compile(dialect=engine.dialect)
            default = column.default.arg if column.default is not None and not callable(column.default.arg) else None
            literal = "" if default is None else f" DEFAULT {_sql_literal(default)}"
            with engine.begin() as connection:
                connection.exec_driver_sql(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}{literal}')


def _sql_literal(value: object) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _configure_sqlite(engine: Engine) -> None:
    """WAL for concurrent readers, FULL sync so an acknowledged commit survives a kill, and
    BEGIN IMMEDIATE so writers queue on busy_timeout instead of failing on lock upgrades."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get(IMMEDIATE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Sessions:
    """`sessions()` opens a read session; `sessions.begin()` a write transaction (BEGIN IMMEDIATE on SQLite)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._read = sessionmaker(engine, expire_on_commit=False)
        self._write = sessionmaker(engine.execution_options(**{IMMEDIATE: True}), expire_on_commit=False)

    def __call__(self) -> Session:
        return self._read()

    def begin(self):
        return self._write.begin()


def make_sessionmaker(engine: Engine) -> Sessions:
    return Sessions(engine)
