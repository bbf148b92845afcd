"""Scores from figures: the scheme of a level (weights, grade quotas), each subject's
weighted score, its rank and grade, and the distribution of grades and scores."""

from __future__ import annotations

import json
import math
from datetime import date

from sqlalchemy.engine import Connection

from ..errors import BadInput, NotFound
from .indicators import INDICATORS, LEVELS, Period, figures, sql, subjects

GRADES = ("A", "B", "C", "D")
LOWER_IS_BETTER = {"case_rework"}


def load_scheme(conn: Connection, level: str) -> dict:
    """The scheme of one level as it stands: weights, quotas, appeal window."""
    row = (
        conn.execute(
            sql("scheme_load"),
            {"l": level},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"没有 {level} 级的考核方案 (no scheme for this level)")
    return dict(row)


def parse_scheme(body: dict) -> dict:
    """Validated weights (0..100 per known indicator), quotas (A, B, C shares summing to at
    most 1; D takes the rest) and appeal days (1..60)."""
    weights, quotas = body.get("weights"), body.get("quotas")
    if not isinstance(weights, dict) or not weights:
        raise BadInput(
            "weights 必须是指标到权重的对象 (weights must be an object)", field="weights"
        )
    for key, w in weights.items():
        if key not in INDICATORS:
            raise BadInput(f"未知指标 {key} (unknown indicator)", field="weights")
        if not _number(w) or not 0 <= w <= 100:
            raise BadInput("权重必须在 0 到 100 之间 (weights are 0..100)", field="weights")
    if sum(weights.values()) <= 0:
        raise BadInput("权重之和必须大于 0 (weights must not all be 0)", field="weights")
    if (
        not isinstance(quotas, dict)
        or set(quotas) != {"A", "B", "C"}
        or not all(_number(q) and 0 <= q <= 1 for q in quotas.values())
        or sum(quotas.values()) > 1
    ):
        raise BadInput(
            "quotas 必须给出 A、B、C 的比例（0 到 1，合计不超过 1）(quotas A, B, C)", field="quotas"
        )
    days = body.get("appeal_days", 7)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 60:
        raise BadInput("appeal_days 必须是 1 到 60 的整数 (appeal_days 1..60)", field="appeal_days")
    return {"weights": weights, "quotas": quotas, "appeal_days": days}


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def save_scheme(conn: Connection, level: str, scheme: dict, username: str) -> dict:
    conn.execute(
        sql("scheme_save"),
        {
            "w": json.dumps(scheme["weights"]),
            "q": json.dumps(scheme["quotas"]),
            "d": scheme["appeal_days"],
            "u": username,
            "l": level,
        },
    )
    return load_scheme(conn, level)


def points(indicator: str, value: float | None) -> float | None:
    """0..100 points for a rate (100 * rate; 100 * (1 - rate) when lower is better)."""
    if value is None:
        return None
    return 100.0 * (1.0 - value if indicator in LOWER_IS_BETTER else value)


def score(items: dict[str, float | None], weights: dict) -> float | None:
    """The weighted mean of the points of the indicators with data (weights of those
    without data are left out, so a community with no demand due is not marked down)."""
    total = weight = 0.0
    for key, value in items.items():
        w = float(weights.get(key, 0))
        if value is None or w <= 0:
            continue
        total += w * points(key, value)
        weight += w
    return round(total / weight, 2) if weight else None


def rank_and_grade(results: list[dict], quotas: dict) -> list[dict]:
    """Rank by score (ties share a rank) and grade by place against the quotas: the first
    share A of the ranked get A, the next B, C; the rest D. The quotas hold even when many
    tie (a month with little data): ties at a boundary are split by satisfaction, then
    code. Unscored subjects get neither rank nor grade."""
    ranked = sorted((r for r in results if r["score"] is not None), key=_order)
    n = len(ranked)
    cuts, acc = [], 0.0
    for g in GRADES[:3]:
        acc += float(quotas.get(g, 0))
        cuts.append(round(acc * n))
    prev, rank = None, 0
    for place, r in enumerate(ranked, start=1):
        if r["score"] != prev:
            rank, prev = place, r["score"]
        r["rank"] = rank
        r["grade"] = next((g for g, cut in zip(GRADES, cuts) if place <= cut), "D")
    for r in results:
        if r["score"] is None:
            r["rank"] = r["grade"] = None
    return sorted(results, key=lambda r: (r["rank"] is None, r["rank"] or 0, _order(r)))


def _order(r: dict) -> tuple:
    sat = ((r.get("items") or {}).get("satisfaction") or {}).get("value")
    return (-(r["score"] or 0), -(sat if sat is not None else -1), r["subject"])


def distribution(results: list[dict]) -> dict:
    """Subjects per grade and per ten points of score."""
    grades = {g: 0 for g in GRADES}
    buckets = [0] * 10
    for r in results:
        if r["grade"]:
            grades[r["grade"]] += 1
        if r["score"] is not None:
            buckets[min(int(r["score"] // 10), 9)] += 1
    return {
        "grades": grades,
        "scores": [{"from": 10 * i, "to": 10 * i + 10, "count": c} for i, c in enumerate(buckets)],
    }


def scoreboard(
    conn: Connection,
    level: str,
    scope: str,
    period: Period,
    today: date,
    scheme: dict | None = None,
) -> dict:
    """Every subject of the level in scope with its figures, score, rank and grade."""
    if level not in LEVELS:
        raise BadInput(f"level 必须是 {', '.join(LEVELS)} 之一 (unknown level)", field="level")
    scheme = scheme or load_scheme(conn, level)
    figs = figures(conn, level, scope, period, today)
    results = []
    for s in subjects(conn, level, scope, period):
        items = {}
        for key in INDICATORS:
            num, den = figs[key].get(s["subject"], (0, 0))
            items[key] = {
                "numerator": num,
                "denominator": den,
                "value": round(min(num / den, 1.0), 4) if den else None,
            }
        s["items"] = items
        s["score"] = score({k: v["value"] for k, v in items.items()}, scheme["weights"])
        results.append(s)
    results = rank_and_grade(results, scheme["quotas"])
    return {
        "level": level,
        "scope": scope,
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "scheme": _public_scheme(scheme),
        "results": results,
        "distribution": distribution(results),
    }


def _public_scheme(scheme: dict) -> dict:
    return {
        "weights": scheme["weights"],
        "quotas": scheme["quotas"],
        "appeal_days": scheme.get("appeal_days"),
    }
