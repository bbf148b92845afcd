"""Accounts: password hashing, server-side sessions, API tokens, lockout and CSRF.

Secrets (session cookies, API tokens) are random values shown to their holder only;
the database keeps their SHA-256, so a leaked table opens nothing. Passwords are
hashed with Argon2id (argon2-cffi).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..errors import BadInput, NotFound, RateLimited
from ..queries import loader
from .access import ROLES, Viewer, jurisdiction_prefixes

sql = loader(__package__)

_hasher = PasswordHasher()
# Verified against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
LOCK_AFTER = 5
LOCK_MINUTES = 5
MIN_PASSWORD = 8
TOKEN_PREFIX = "gis_"


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def hash_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise BadInput(f"password must have at least {MIN_PASSWORD} characters", field="password")
    return _hasher.hash(password)


def _verify(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


# --- users -------------------------------------------------------------------------


def add_user(conn: Connection, username: str, password: str, role: str,
             display_name: str | None = None, person_id: int | None = None) -> int:
    """Create a user; returns its id."""
    if role not in ROLES:
        raise BadInput(f"unknown role {role!r}; one of {', '.join(ROLES)}", field="role")
    return conn.execute(sql("auth_add_user"),
        {"u": username, "d": display_name or username, "h": hash_password(password),
         "r": role, "p": person_id}).scalar()


def set_disabled(conn: Connection, username: str, disabled: bool = True) -> None:
    row = conn.execute(text("UPDATE app_user SET disabled = :d WHERE username = :u RETURNING id"),
                       {"d": disabled, "u": username}).first()
    if row is None:
        raise NotFound(f"no user {username!r}")
    if disabled:
        conn.execute(text("DELETE FROM web_session WHERE user_id = :id"), {"id": row.id})


def reset_password(conn: Connection, username: str, password: str) -> None:
    row = conn.execute(sql("auth_reset_password"),
                       {"h": hash_password(password), "u": username}).first()
    if row is None:
        raise NotFound(f"no user {username!r}")
    conn.execute(text("DELETE FROM web_session WHERE user_id = :id"), {"id": row.id})


def list_users(conn: Connection) -> list[dict]:
    rows = conn.execute(sql("auth_list_users")).mappings().all()
    return [dict(r) for r in rows]


def viewer_for_user(conn: Connection, user_id: int, via_token: bool = False) -> Viewer | None:
    """The Viewer of an enabled user (None if missing or disabled)."""
    row = conn.execute(sql("auth_viewer_for_user"), {"id": user_id}).first()
    if row is None:
        return None
    prefixes = jurisdiction_prefixes(conn, row.role, row.person_id)
    return Viewer(row.id, row.username, row.role, row.person_id, prefixes, via_token)


# --- login and sessions ----------------------------------------------------------------


def check_login(conn: Connection, username: str, password: str) -> int | None:
    """The user id if the password is right and the account usable; counts failures."""
    row = conn.execute(sql("auth_check_login"),
                       {"u": username}).first()
    if row is None:
        _verify(_DUMMY_HASH, password)
        return None
    if row.locked:
        raise RateLimited("登录失败次数过多，账户已暂时锁定 (too many failed logins; try later)",
                          retry_after=LOCK_MINUTES * 60)
    if row.disabled or not _verify(row.password_hash, password):
        conn.execute(sql("auth_login_failed"), {"n": LOCK_AFTER, "m": LOCK_MINUTES, "id": row.id})
        return None
    conn.execute(text("UPDATE app_user SET failed_logins = 0, locked_until = NULL WHERE id = :id"),
                 {"id": row.id})
    return row.id


def create_session(conn: Connection, user_id: int, hours: int, ip: str | None,
                   user_agent: str | None) -> tuple[str, str]:
    """A new session; returns (cookie value, csrf token)."""
    value, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    conn.execute(sql("auth_create_session"),
                 {"h": _sha256(value), "u": user_id, "c": csrf, "hours": hours, "ip": ip,
                  "ua": (user_agent or "")[:300]})
    return value, csrf


def session_user(conn: Connection, cookie_value: str) -> tuple[int, str, datetime] | None:
    """(user id, csrf token, expiry) for a live session cookie, else None."""
    row = conn.execute(sql("auth_session_user"),
                       {"h": _sha256(cookie_value)}).first()
    return (row.user_id, row.csrf_token, row.expires_at) if row else None


def end_session(conn: Connection, cookie_value: str) -> None:
    conn.execute(text("DELETE FROM web_session WHERE id_hash = :h"), {"h": _sha256(cookie_value)})


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(expected, given)


# --- API tokens ------------------------------------------------------------------------


def issue_token(conn: Connection, username: str, days: int = 90, label: str = "") -> str:
    """A new API token for a user; the secret is returned once and stored only hashed."""
    if not 1 <= days <= 366:
        raise BadInput("token lifetime must be 1..366 days", field="days")
    user_id = conn.execute(text("SELECT id FROM app_user WHERE username = :u AND NOT disabled"),
                           {"u": username}).scalar()
    if user_id is None:
        raise NotFound(f"no enabled user {username!r}")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    conn.execute(sql("auth_issue_token"),
                 {"u": user_id, "h": _sha256(secret), "p": secret[:10], "l": label, "d": days})
    return secret


def revoke_token(conn: Connection, prefix_or_id: str) -> int:
    """Revoke tokens by id or by their shown prefix; returns how many."""
    return conn.execute(sql("auth_revoke_token"),
        {"v": prefix_or_id}).rowcount


def token_user(conn: Connection, secret: str) -> tuple[int, datetime] | None:
    """(user id, expiry) behind a live (unexpired, unrevoked) token, else None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    row = conn.execute(sql("auth_token_user"),
                       {"h": _sha256(secret)}).first()
    if row is None:
        return None
    if row.stale:
        # At most once a minute: a device's every request must not queue on one row lock.
        conn.execute(text("UPDATE api_token SET last_used_at = now() WHERE id = :id"),
                     {"id": row.id})
    return row.user_id, row.expires_at


# --- rate limits -----------------------------------------------------------------------


def hit_rate_limit(conn: Connection, bucket: str, limit: int, window_seconds: int = 60,
                   now: datetime | None = None) -> None:
    """Count one hit, shared by all workers; RateLimited when the hits of the last
    `window_seconds` exceed `limit`.

    A sliding window, estimated from two fixed ones: this window's hits plus the previous
    window's, weighted by how much of it still lies within the last `window_seconds`.
    Fixed windows alone let a burst straddling their edge through twice over."""
    now = now or datetime.now(timezone.utc)
    into = now.timestamp() % window_seconds
    start = now - timedelta(seconds=into)
    hits = conn.execute(sql("auth_hit_rate_limit"), {
        "b": bucket, "w": start, "prev": start - timedelta(seconds=window_seconds),
        "weight": 1.0 - into / window_seconds}).scalar()
    if hits > limit:
        raise RateLimited("请求过于频繁，请稍后再试 (too many requests)",
                          retry_after=int(window_seconds - into) + 1)
