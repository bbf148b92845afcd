"""Accounts: login with CSRF, sessions, lockout, API tokens, CLI and the audit log."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from ..tiny_city import PASSWORD


def _csrf(client, path="/login"):
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, username, password=PASSWORD):
    token = _csrf(client)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token, "next": "/"})


def test_login_sets_a_secure_server_side_session(client):
    resp = login(client, "grid_worker")
    assert resp.status_code == 303
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("gisapp_session="))
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    me = client.get("/api/me").get_json()
    assert me["authenticated"] and me["role"] == "grid_worker"
    assert me["jurisdiction"] == ["210204001001001"]


def test_login_without_csrf_is_rejected(client):
    resp = client.post("/login", data={"username": "grid_worker", "password": PASSWORD})
    assert resp.status_code == 403
    assert resp.get_json()["error"] == "forbidden"


def test_state_change_without_csrf_from_a_session_is_rejected(client):
    login(client, "grid_worker")
    assert client.post("/logout").status_code == 403          # no token
    me = client.get("/api/me").get_json()
    assert me["authenticated"]                                 # still logged in


def test_logout_ends_the_session(client):
    login(client, "grid_worker")
    csrf = client.get("/api/csrf").get_json()["csrf_token"]
    assert client.post("/logout", headers={"X-CSRF-Token": csrf}).status_code == 303
    assert client.get("/api/me").get_json()["authenticated"] is False


def test_wrong_password_then_lockout(client, engine):
    for _ in range(5):
        assert login(client, "volunteer", "wrong-password").status_code == 401
    # Locked now: even the right password is refused for a while.
    assert login(client, "volunteer").status_code == 429
    with engine.begin() as conn:
        conn.execute(text("UPDATE app_user SET failed_logins = 0, locked_until = NULL "
                          "WHERE username = 'volunteer'"))
        failed = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'login.failed' "
                                   "AND target = 'volunteer'")).scalar()
    assert failed >= 5


def test_password_is_hashed_with_argon2(engine):
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT password_hash FROM app_user WHERE username = 'admin'")).scalar()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_tokens_tampered_expired_revoked(client, tokens, engine, runner):
    good = tokens["info_officer"]
    assert client.get("/api/me",
                      headers={"Authorization": f"Bearer {good}"}).get_json()["authenticated"]
    tampered = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    for bad in (tampered, "gis_nonsense", "not-even-a-token"):
        resp = client.get("/api/me", headers={"Authorization": f"Bearer {bad}"})
        assert resp.status_code == 401
    with engine.begin() as conn:
        conn.execute(text("UPDATE api_token SET expires_at = now() - interval '1 second', "
                          "created_at = now() - interval '1 day' WHERE prefix = :p"),
                     {"p": good[:10]})
    assert client.get("/api/me", headers={"Authorization": f"Bearer {good}"}).status_code == 401
    fresh = runner.invoke(args=["tokens", "issue", "info_officer", "--days", "2"]).output.split()[0]
    assert client.get("/api/me", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
    out = runner.invoke(args=["tokens", "revoke", fresh[:10]])
    assert out.exit_code == 0, out.output
    assert client.get("/api/me", headers={"Authorization": f"Bearer {fresh}"}).status_code == 401
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM api_token WHERE prefix = :p"),
                              {"p": fresh[:10]}).scalar()
    assert stored != fresh and fresh not in stored


def test_cli_users(runner, client):
    out = runner.invoke(args=["users", "add", "newbie", "--role", "grid_worker",
                              "--password", "a-long-password"])
    assert out.exit_code == 0, out.output
    assert "newbie" in runner.invoke(args=["users", "list"]).output
    assert login(client, "newbie", "a-long-password").status_code == 303
    assert runner.invoke(args=["users", "disable", "newbie"]).exit_code == 0
    assert client.get("/api/me").get_json()["authenticated"] is False     # sessions ended
    assert login(client, "newbie", "a-long-password").status_code == 401
    assert runner.invoke(args=["users", "reset-password", "grid_leader",
                               "--password", "another-password"]).exit_code == 0
    assert login(client, "grid_leader", "another-password").status_code == 303
    bad = runner.invoke(
        args=["users", "add", "x y", "--role", "pope", "--password", "a-long-password"])
    assert bad.exit_code != 0


def test_audit_log_is_for_city_admins(client, as_user):
    assert client.get("/api/audit", headers=as_user("grid_worker")).status_code == 403
    assert client.get("/api/audit").status_code == 401
    body = client.get("/api/audit?action=login", headers=as_user("admin")).get_json()
    assert all(e["action"].startswith("login") for e in body["entries"])


@pytest.mark.parametrize("next_url,expected", [
    ("/wall", "/wall"), ("//evil.example/x", "/"), ("https://evil.example", "/"),
])
def test_login_redirect_stays_on_site(client, next_url, expected):
    token = _csrf(client)
    resp = client.post("/login", data={"username": "wall", "password": PASSWORD,
                                       "csrf_token": token, "next": next_url})
    assert resp.headers["Location"] == expected


def test_login_attempts_are_rate_limited_per_address(db_url):
    from gisapp import create_app
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "LOGIN_ATTEMPTS_PER_MINUTE": 3})
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "192.0.2.77"     # a bucket no other test used
    codes = [login(client, "nobody-here", "whatever-pass").status_code for _ in range(4)]
    app.extensions["gisapp_engine"].dispose()
    assert codes[:3] == [401, 401, 401] and codes[3] == 429


def test_cached_credentials_follow_revocation_in_other_processes(db_url, runner, engine):
    """Each worker caches resolved tokens; a revocation, a disabled user or a changed duty
    made elsewhere reaches it at its next generation check (here: every request)."""
    from gisapp import create_app
    other = create_app({"TESTING": True, "DATABASE_URL": db_url, "AUTH_CACHE_SECONDS": 0.0})
    try:
        client = other.test_client()
        token = runner.invoke(
            args=["tokens", "issue", "grid_leader", "--days", "2"]).output.split()[0]
        me = lambda: client.get("/api/me", headers={"Authorization": f"Bearer {token}"})  # noqa: E731
        assert me().status_code == 200 and me().status_code == 200      # now cached there
        with engine.begin() as conn:                                      # a duty moves
            conn.execute(text("""UPDATE duty SET area_id = (SELECT id FROM area """
                              """WHERE code = '210204002')
                WHERE person_id = (SELECT person_id FROM app_user """
                              """WHERE username = 'grid_leader')"""))
        assert me().get_json()["jurisdiction"] == ["210204002"]
        assert runner.invoke(args=["tokens", "revoke", token[:10]]).exit_code == 0
        assert me().status_code == 401
    finally:
        other.extensions["gisapp_engine"].dispose()


def test_a_slow_check_interval_keeps_a_token_without_asking_the_database(db_url, runner):
    """With a long interval, a revocation in another process is not seen until it passes:
    the cache really answers (this is the documented bound, AUTH_CACHE_SECONDS)."""
    from gisapp import create_app
    other = create_app({"TESTING": True, "DATABASE_URL": db_url, "AUTH_CACHE_SECONDS": 3600.0})
    try:
        client = other.test_client()
        token = runner.invoke(
            args=["tokens", "issue", "grid_leader", "--days", "2"]).output.split()[0]
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/me", headers=headers).status_code == 200
        assert runner.invoke(args=["tokens", "revoke", token[:10]]).exit_code == 0
        assert client.get("/api/me", headers=headers).status_code == 200     # still cached
        other.extensions["gisapp_credentials"].clear()
        assert client.get("/api/me", headers=headers).status_code == 401
    finally:
        other.extensions["gisapp_engine"].dispose()


def test_a_burst_across_the_minute_edge_is_still_limited(engine):
    """Three hits at the end of a minute and one at the start of the next are four in the
    last minute: the limit of 3 holds across the fixed windows' edge."""
    from datetime import datetime, timezone

    from gisapp.accounts.auth import hit_rate_limit
    from gisapp.errors import RateLimited
    edge = datetime(2026, 12, 3, 21, 0, tzinfo=timezone.utc).timestamp()
    at = lambda s: datetime.fromtimestamp(edge + s, timezone.utc)    # noqa: E731
    with engine.connect() as conn:                  # rolled back at the end
        for s in (-0.6, -0.5, -0.4):
            hit_rate_limit(conn, "test:edge", 3, now=at(s))
        with pytest.raises(RateLimited):
            hit_rate_limit(conn, "test:edge", 3, now=at(0.5))
        # A minute later the old hits have slid out of the window.
        hit_rate_limit(conn, "test:edge", 3, now=at(61))
