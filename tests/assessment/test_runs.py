"""Runs: created and published by supervisors above, appealed by the assessed within the
window, decided by a supervisor; the score is recalculated and every step audited."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from .support import add_answer, add_case

COMMUNITY = "210204001001"


@pytest.fixture(scope="module")
def run(client_module, as_user_module, engine):
    with engine.begin() as conn:
        ids = [
            add_case(conn, COMMUNITY, "2026-11-03", "closed")["id"],
            add_case(conn, COMMUNITY, "2026-11-04", "dispatched")["id"],
            add_case(conn, "210204001002", "2026-11-05", "closed")["id"],
        ]
        add_answer(conn, ids[0], 2, "2026-11-06")
    resp = client_module.post(
        "/api/assessment/runs",
        json={"level": "community", "month": "2026-11", "area": "210204001"},
        headers=as_user_module("street_sup"),
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


@pytest.fixture(scope="module")
def client_module(app):
    return app.test_client()


@pytest.fixture(scope="module")
def as_user_module(tokens):
    return lambda username: {"Authorization": f"Bearer {tokens[username]}"}


def snapshot(engine) -> tuple:
    with engine.connect() as conn:
        return conn.execute(
            text("""SELECT (SELECT count(*) FROM assessment_appeal),
            (SELECT coalesce(string_agg(subject || ':' || score, ',' ORDER BY subject), '')
             FROM assessment_result), (SELECT count(*) FROM assessment_run)""")
        ).one()


def audit_actions(engine, prefix="assessment.") -> list[str]:
    with engine.connect() as conn:
        return (
            conn.execute(
                text("SELECT action FROM audit_log WHERE action LIKE :p || '%' ORDER BY id"),
                {"p": prefix},
            )
            .scalars()
            .all()
        )


def result_of(client, as_user, run_id, subject):
    body = client.get(f"/api/assessment/runs/{run_id}", headers=as_user("street_sup")).get_json()
    return next(r for r in body["results"] if r["subject"] == subject)


def test_a_draft_is_for_its_managers_only(client, as_user, run):
    assert run["state"] == "draft"
    assert client.get(f"/api/assessment/runs/{run['id']}").status_code == 404
    assert (
        client.get(
            f"/api/assessment/runs/{run['id']}", headers=as_user("community_sup")
        ).status_code
        == 404
    )
    assert (
        client.get(f"/api/assessment/runs/{run['id']}", headers=as_user("street_sup")).status_code
        == 200
    )


def test_an_appeal_changes_the_score_and_is_audited(client, as_user, engine, run):
    rid = run["id"]
    # Not yet published: no appeal.
    early = client.post(
        f"/api/assessment/runs/{rid}/appeals",
        headers=as_user("community_sup"),
        json={"subject": COMMUNITY, "indicator": "satisfaction", "reason": "x"},
    )
    assert early.status_code == 409
    pub = client.post(f"/api/assessment/runs/{rid}/publish", headers=as_user("street_sup"))
    assert pub.status_code == 200 and pub.get_json()["state"] == "published"
    # Published runs of communities are public (公示).
    public = client.get(f"/api/assessment/runs/{rid}").get_json()
    assert {r["subject"] for r in public["results"]} == {"210204001001", "210204001002"}
    before = result_of(client, as_user, rid, COMMUNITY)
    assert before["items"]["satisfaction"]["value"] == 0.0
    filed = client.post(
        f"/api/assessment/runs/{rid}/appeals",
        headers=as_user("community_sup"),
        json={
            "subject": COMMUNITY,
            "indicator": "satisfaction",
            "reason": "该评价针对的是物业公司，不属于社区职责",
        },
    )
    assert filed.status_code == 201, filed.get_json()
    appeal = filed.get_json()
    # The appellant cannot decide; the street supervisor does.
    own = client.post(
        f"/api/assessment/appeals/{appeal['id']}/decision",
        headers=as_user("community_sup"),
        json={"decision": "upheld", "corrected_value": 1},
    )
    assert own.status_code == 403
    decided = client.post(
        f"/api/assessment/appeals/{appeal['id']}/decision",
        headers=as_user("street_sup"),
        json={"decision": "upheld", "corrected_value": 1, "note": "核实属实"},
    )
    assert decided.status_code == 200, decided.get_json()
    body = decided.get_json()
    after = result_of(client, as_user, rid, COMMUNITY)
    assert body["score_before"] == before["score"] and body["score_after"] == after["score"]
    assert after["score"] > before["score"]
    assert after["items"]["satisfaction"] == {
        **before["items"]["satisfaction"],
        "value": 1.0,
        "original_value": 0.0,
    }
    assert audit_actions(engine) == [
        "assessment.run.create",
        "assessment.run.publish",
        "assessment.appeal.file",
        "assessment.appeal.decide",
    ]
    with engine.connect() as conn:
        detail = conn.execute(
            text("SELECT detail FROM audit_log WHERE action = 'assessment.appeal.decide'")
        ).scalar()
    assert detail["score_before"] == before["score"] and detail["score_after"] == after["score"]
    # Decided once: a second decision changes nothing.
    state = snapshot(engine)
    again = client.post(
        f"/api/assessment/appeals/{appeal['id']}/decision",
        headers=as_user("street_sup"),
        json={"decision": "rejected"},
    )
    assert again.status_code == 409 and snapshot(engine) == state


@pytest.mark.parametrize(
    "path,user,body,status",
    [
        (
            "/api/assessment/runs/999999/appeals",
            "community_sup",
            {"subject": COMMUNITY, "indicator": "satisfaction", "reason": "x"},
            404,
        ),
        (
            "/api/assessment/runs/{rid}/appeals",
            "community_sup",
            {"subject": COMMUNITY, "indicator": "nonsense", "reason": "x"},
            400,
        ),
        (
            "/api/assessment/runs/{rid}/appeals",
            "community_sup",
            {"subject": COMMUNITY, "indicator": "case_closure", "reason": " "},
            400,
        ),
        (
            "/api/assessment/runs/{rid}/appeals",
            "other_worker",
            {"subject": COMMUNITY, "indicator": "case_closure", "reason": "不服"},
            403,
        ),
        (
            "/api/assessment/runs/{rid}/appeals",
            "community_sup",
            {"subject": "210204009009", "indicator": "case_closure", "reason": "不服"},
            404,
        ),
        ("/api/assessment/runs/{rid}/publish", "street_sup", {}, 409),
        ("/api/assessment/runs/{rid}/publish", "community_sup", {}, 403),
        ("/api/assessment/appeals/999999/decision", "street_sup", {"decision": "rejected"}, 404),
        ("/api/assessment/runs", "community_sup", {"level": "community", "month": "2026-11"}, 403),
        ("/api/assessment/runs", "street_sup", {"level": "community", "month": "11/2026"}, 400),
    ],
)
def test_bad_requests_change_nothing(client, as_user, engine, run, path, user, body, status):
    state = snapshot(engine)
    resp = client.post(path.format(rid=run["id"]), json=body, headers=as_user(user))
    assert resp.status_code == status, resp.get_json()
    assert set(resp.get_json()) >= {"error", "message"}
    assert snapshot(engine) == state


def test_no_appeal_after_the_window(client, as_user, engine, run):
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE assessment_run SET appeal_until = now() - interval '1 second' WHERE id = :r"
            ),
            {"r": run["id"]},
        )
    state = snapshot(engine)
    late = client.post(
        f"/api/assessment/runs/{run['id']}/appeals",
        headers=as_user("community_sup"),
        json={"subject": COMMUNITY, "indicator": "case_closure", "reason": "迟到的申诉"},
    )
    assert late.status_code == 409 and late.get_json()["error"] == "conflict"
    assert snapshot(engine) == state


def test_the_scheme_is_a_setting_audited(client, as_user, engine):
    body = {
        "weights": {"satisfaction": 50, "case_closure": 50},
        "quotas": {"A": 0.3, "B": 0.5, "C": 0.1},
        "appeal_days": 10,
    }
    assert (
        client.put(
            "/api/assessment/scheme/grid", json=body, headers=as_user("street_sup")
        ).status_code
        == 403
    )
    bad = client.put(
        "/api/assessment/scheme/grid",
        headers=as_user("admin"),
        json={**body, "quotas": {"A": 0.6, "B": 0.5, "C": 0.1}},
    )
    assert bad.status_code == 400
    ok = client.put("/api/assessment/scheme/grid", json=body, headers=as_user("admin"))
    assert ok.status_code == 200 and ok.get_json()["quotas"]["A"] == 0.3
    board = client.get(
        "/api/assessment/scores?level=grid&month=2026-11", headers=as_user("admin")
    ).get_json()
    assert board["scheme"]["quotas"] == body["quotas"]
    assert "assessment.scheme.update" in audit_actions(engine)
