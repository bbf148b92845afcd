"""The city's rule for communities over 3,000 households (docs/plan.md), as plain functions.

The plan reviews every community over the threshold instead of cutting them all
("此次调整不搞'一刀切'"):
- a community whose homes are scattered and which has many stand-alone buildings
  (居住地分散、散楼较多) is split;
- a community with complete property services, a high density and a concentrated
  territory (物业服务完善、管辖人口密度高、地理位置集中) is not split;
- any other community is kept too: the plan splits only what the rule names.

"Scattered" is met by any of: homes far from their centre (spread), a low density, or an
irregular territory (low Polsby-Popper compactness, the plan's "区域不规整"). The reasons
name every criterion that decided, with the community's value against the threshold.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

PARAMETERS = {          # query parameter -> (field, minimum, maximum)
    "over": ("households", 1, 1_000_000),
    "managed": ("managed_min", 0.0, 1.0),
    "density": ("density_min", 0.0, 1_000_000.0),
    "compact": ("compact_min", 0.0, 1.0),
    "spread": ("spread_max_m", 0.0, 100_000.0),
    "standalone": ("standalone_min", 0.0, 1.0),
}


@dataclass(frozen=True)
class Thresholds:
    """The rule's thresholds; defaults come from config (GISAPP_PLAN_*)."""

    households: int = 3000          # reviewed when over this many households
    managed_min: float = 0.6        # 物业服务完善: share of households in managed estates
    density_min: float = 4000.0     # 人口密度高: households per km²
    compact_min: float = 0.3        # 地理位置集中 / 区域规整: Polsby-Popper 4πA/P²
    spread_max_m: float = 450.0     # 地理位置集中: mean distance of homes to their centre
    standalone_min: float = 0.3     # 散楼较多: share of households in stand-alone buildings

    @classmethod
    def from_config(cls, config) -> "Thresholds":
        values = {f.name: (int if f.name == "households" else float)(config[_key(f.name)])
                  for f in fields(cls) if _key(f.name) in config}
        return cls(**values)

    def with_values(self, values: dict) -> "Thresholds":
        """These thresholds with some replaced ({field: value})."""
        return replace(self, **values)


def _key(name: str) -> str:
    return "PLAN_" + name.upper()


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def _num(x: float) -> str:
    return f"{x:,.0f}"


def criteria(m: dict, t: Thresholds) -> dict[str, tuple[bool, str]]:
    """Every criterion of the rule: whether the community meets it, and the words for it."""
    spread_far = m["spread_m"] > t.spread_max_m
    sparse = m["density"] < t.density_min
    irregular = m["compactness"] < t.compact_min
    return {
        "standalone": (m["standalone_share"] >= t.standalone_min,
                       f"散楼{'较多' if m['standalone_share'] >= t.standalone_min else '不多'}：散楼住户占 "
                       f"{_pct(m['standalone_share'])}，"
                       f"{'≥' if m['standalone_share'] >= t.standalone_min else '<'} {_pct(t.standalone_min)}"),
        "spread": (spread_far, f"居住地{'分散' if spread_far else '集中'}：住户距中心平均 {_num(m['spread_m'])} 米，"
                               f"{'>' if spread_far else '≤'} {_num(t.spread_max_m)} 米"),
        "sparse": (sparse, f"人口密度{'低' if sparse else '高'}：{_num(m['density'])} 户/平方公里，"
                           f"{'<' if sparse else '≥'} {_num(t.density_min)}"),
        "irregular": (irregular, f"区域{'不规整' if irregular else '规整'}：紧凑度 {m['compactness']:.2f}，"
                                 f"{'<' if irregular else '≥'} {t.compact_min:.2f}"),
        "managed": (m["managed_share"] >= t.managed_min,
                    f"物业服务{'完善' if m['managed_share'] >= t.managed_min else '不足'}：物业小区住户占 "
                    f"{_pct(m['managed_share'])}，{'≥' if m['managed_share'] >= t.managed_min else '<'} "
                    f"{_pct(t.managed_min)}"),
    }


def decide(m: dict, t: Thresholds) -> tuple[str, str, list[str]]:
    """(decision, rule, reasons) for one community's measures: split or keep, and why."""
    c = criteria(m, t)

    def words(keys) -> list[str]:
        return [c[k][1] for k in keys]
    scattered = [k for k in ("spread", "sparse", "irregular") if c[k][0]]
    if c["standalone"][0] and scattered:
        return "split", "scattered_standalone", words(["standalone"] + scattered)
    if c["managed"][0] and not scattered:
        return "keep", "managed_dense_concentrated", words(("managed", "sparse", "spread", "irregular"))
    if not c["standalone"][0]:
        return "keep", "few_standalone", words(["standalone"] + (scattered or ["spread"]))
    return "keep", "concentrated", words(("standalone", "spread", "sparse", "irregular"))


RULE_NAMES = {
    "scattered_standalone": "拆分：居住地分散且散楼较多",
    "managed_dense_concentrated": "不拆分：物业服务完善、密度高、地理位置集中",
    "few_standalone": "不拆分：散楼不多",
    "concentrated": "不拆分：居住集中、密度高、区域规整",
}
