"""The six steps of a consultation and who may take each: the one table every action asks.

A topic opens at step 1 and moves one step at a time; step 6 reports back and closes it.
Besides the role, the topic's area must lie in the viewer's jurisdiction (a code prefix
test, as everywhere in gisapp/accounts/access.py). Grid roles run only courtyard and building
topics (a grid leader those of their grid; an information officer or a building head those
of their micro-grid).
"""

from __future__ import annotations

from ..accounts.access import SUPERVISORS, Viewer
from ..errors import Conflict, Forbidden

LEVELS = ("street", "community", "courtyard", "building")
# The area level (area_level.level) a topic of each level belongs to; a building topic
# belongs to a building, filed under the building's leaf area.
AREA_LEVEL = {"street": 2, "community": 3, "courtyard": 5}
STEPS = {1: "collect", 2: "set", 3: "draft", 4: "announce", 5: "deliberate", 6: "report"}
STEP_NAMES = {
    1: "征集议题",
    2: "确定议题",
    3: "拟定方案",
    4: "公示方案",
    5: "协商议事",
    6: "结果反馈",
}
STATE_NAMES = {"open": "协商中", "reported": "已反馈", "dropped": "已终止"}
LEVEL_NAMES = {"street": "街道", "community": "社区", "courtyard": "楼院", "building": "楼栋"}
PARTICIPANT_KINDS = {"resident_rep": "居民代表", "unit": "驻社单位", "department": "职能部门"}

GRID_ROLES = ("grid_leader", "grid_worker", "info_officer", "volunteer")
SMALL_LEVELS = ("courtyard", "building")
STAFF = SUPERVISORS + GRID_ROLES
# Who may take each step (to reach it), before the jurisdiction and level tests.
STEP_ROLES: dict[int, tuple[str, ...]] = {
    1: STAFF,  # open a topic: anyone who hears residents
    2: SUPERVISORS,  # set the topic: the community's committee
    3: SUPERVISORS + ("grid_leader",),  # draft the plan
    4: SUPERVISORS + ("grid_leader",),  # announce it
    5: SUPERVISORS,  # chair the deliberation
    6: SUPERVISORS,  # report back
}
DROP_ROLES = SUPERVISORS
TASK_ROLES = SUPERVISORS
OPINION_ROLES = STAFF
LAST_OPINION_STEP = 4  # opinions are taken until the deliberation


def may_act(viewer: Viewer, roles: tuple[str, ...], level: str, area_code: str) -> bool:
    """Whether the viewer has one of `roles` and the topic's area in their jurisdiction."""
    if viewer.is_public or viewer.role not in roles or not viewer.covers(area_code):
        return False
    return viewer.role in SUPERVISORS or level in SMALL_LEVELS


def check_step(viewer: Viewer, topic: dict, step: int) -> None:
    """Raise unless the viewer may take the topic to `step` now (Forbidden, then Conflict)."""
    if not may_act(viewer, STEP_ROLES[step], topic["level"], topic["area_code"]):
        raise Forbidden(f"无权执行「{STEP_NAMES[step]}」(your role may not take this step)")
    if topic["state"] != "open":
        raise Conflict(f"议题{STATE_NAMES[topic['state']]}，不能再推进 (topic is {topic['state']})")
    if step != topic["step"] + 1:
        raise Conflict(
            f"议题在第 {topic['step']} 步，下一步是第 {topic['step'] + 1} 步 "
            f"(step {step} out of order)",
            step=topic["step"],
        )


def check_open(viewer: Viewer, topic: dict, roles: tuple[str, ...], what: str) -> None:
    """Raise unless the viewer may do `what` (drop, add an opinion) on this open topic."""
    if not may_act(viewer, roles, topic["level"], topic["area_code"]):
        raise Forbidden(f"无权{what} (not allowed for your role)")
    if topic["state"] != "open":
        raise Conflict(f"议题{STATE_NAMES[topic['state']]} (topic is {topic['state']})")


def takes_opinions(topic: dict) -> bool:
    """Opinions are open from step 1 until the deliberation starts."""
    return topic["state"] == "open" and topic["step"] <= LAST_OPINION_STEP


def allowed(viewer: Viewer, topic: dict) -> dict:
    """What this viewer may do on this topic now: for the page's buttons."""
    level, code, is_open = topic["level"], topic["area_code"], topic["state"] == "open"
    nxt = topic["step"] + 1
    return {
        "next_step": nxt
        if is_open and nxt <= 6 and may_act(viewer, STEP_ROLES[nxt], level, code)
        else None,
        "drop": is_open and may_act(viewer, DROP_ROLES, level, code),
        "opinion": takes_opinions(topic) and may_act(viewer, OPINION_ROLES, level, code),
        "tasks": topic["step"] >= 5 and may_act(viewer, TASK_ROLES, level, code),
    }
