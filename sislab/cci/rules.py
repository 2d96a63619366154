"""CCI rule sets: each Dashboard year's rules as a named data file in `rulesets/`.

A rule set file may `extends` an older one and write only what changed, so the difference
between two Dashboard years reads as a short file. The engine's SQL takes every threshold,
code list and switch from here as bound parameters.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources

from sislab.core.model import WBL_TYPE_NAMES

PACKAGE = "sislab.cci.rulesets"
PREPARED = "Prepared"
APPROACHING = "Approaching Prepared"
NOT_PREPARED = "Not Prepared"
NO_FLOOR = -10**6  # tenths of a point: below any status or change


class UnknownRuleSet(ValueError):
    """A rule set name that has no file in sislab/cci/rulesets/."""


@dataclass(frozen=True)
class RuleSet:
    """One Dashboard year's CCI rules, merged with the rule set it extends."""

    name: str
    source: str
    class_year: int
    data: dict

    @property
    def measures(self) -> dict[str, dict]:
        """Measure id -> its table, in reporting order (P1..P11, A1..)."""
        return self.data["measures"]

    def measure(self, measure_id: str) -> dict:
        return self.measures[measure_id]

    def enabled(self) -> list[str]:
        return [m for m, spec in self.measures.items() if spec.get("enabled", True)]

    def sql_params(self) -> dict:
        """Named parameters for the engine's SQL files."""
        d, m = self.data, self.measures
        terms = d["college_credit"]["terms"]
        return {
            "rule_set": self.name,
            "fifth_year_graduates": d["fifth_year_graduates"],
            "passing_marks": d["marks"]["passing"],
            "college_pass_marks": d["marks"]["college_pass"],
            "sbac_grade": d["sbac"]["grade"],
            "sbac_prepared": d["sbac"]["prepared"],
            "sbac_approaching": d["sbac"]["approaching"],
            "ap_min": d["exams"]["ap_min"],
            "ib_min": d["exams"]["ib_min"],
            "exams_needed": d["exams"]["needed"],
            "college_levels": d["college_credit"]["levels"],
            "college_course_codes": d["college_credit"]["state_course_codes"],
            "short_thirds": d["college_credit"]["short_thirds"],
            "full_thirds": d["college_credit"]["full_thirds"],
            "term_types": list(terms),
            "term_thirds": [t["thirds"] for t in terms.values()],
            "term_calendars": [t["calendar"] for t in terms.values()],
            "lms_years": d["leadership_military_science"]["years"],
            "p4_ap_courses": m["P4"].get("ap_courses", False),
            "lms_course_codes": d["leadership_military_science"]["state_course_codes"],
            "p9_wbl": m["P9"]["wbl_types"],
            "p10_wbl": m["P10"]["wbl_types"],
            "p11_wbl": m["P11"]["wbl_types"],
            "a6_wbl": m["A6"]["wbl_types"],
            "a6_awards": m["A6"]["awards"],
            "a7_wbl": m["A7"]["wbl_types"],
            "wbl_codes": list(WBL_TYPE_NAMES),
            "wbl_names": list(WBL_TYPE_NAMES.values()),
            "a7_alternative_diploma": m["A7"].get("alternative_diploma", False),
            "a8_courses": m["A8"]["courses"],
            "measure_order": list(m),
            "prepared_measures": [k for k, v in m.items() if v["tier"] == PREPARED],
            "uncertain": d["uncertain"],
        }

    def rollup_params(self) -> dict:
        """Named parameters for the status roll-up: cut points, colour grid, n-size rules."""
        status, change, n = self.data["status_levels"], self.data["change_levels"], self.data["n_size"]
        change_names = [c["name"] for c in change]
        return {
            "status_names": [s["name"] for s in status],
            "status_floors": [_tenths(s.get("min")) for s in status],
            "change_names": change_names,
            "change_floors": [_tenths(c.get("min")) for c in change],
            "change_small_n": [c.get("small_n", c["name"]) for c in change],
            "colour_grid": [[self.data["colours"][s["name"]][c] for c in change_names] for s in status],
            "shown_n": n["shown"],
            "colour_n": n["colour"],
            "significant_n": n["significant_change"],
            "lea_group_colour_n": n["lea_group_colour"],
            "lea_group_colour_groups": n["lea_group_colour_groups"],
        }

    def group_params(self) -> dict:
        """Named parameters that map student flags and race codes to Dashboard groups."""
        race = self.data["groups"]["race"]
        return {"hispanic_group": self.data["groups"]["hispanic"],
                "race_codes": list(race), "race_groups": list(race.values())}


def _tenths(points: str | None) -> int:
    """A cut point written as "69.9" in the file, as an exact count of tenths."""
    return NO_FLOOR if points is None else int(Decimal(points) * 10)


def rule_set_names() -> list[str]:
    """Available rule sets, oldest first."""
    names = [p.name.removesuffix(".toml") for p in resources.files(PACKAGE).iterdir() if p.name.endswith(".toml")]
    return sorted(names, key=lambda n: (len(n), n))


def load_rule_set(name: str | None = None) -> RuleSet:
    """The named rule set (e.g. "2025"), or the newest when `name` is None."""
    names = rule_set_names()
    name = names[-1] if name is None else str(name)
    if name not in names:
        raise UnknownRuleSet(f"No CCI rule set {name!r}; available: {', '.join(names)}.")
    data = _read(name)
    return RuleSet(name=data["name"], source=data["source"], class_year=int(data["class_year"]), data=data)


def _read(name: str) -> dict:
    text = resources.files(PACKAGE).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    base = data.pop("extends", None)
    return _merge(_read(base), data) if base else data


def _merge(base: dict, change: dict) -> dict:
    """`base` with `change` laid over it; tables merge key by key, other values replace."""
    out = dict(base)
    for key, value in change.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out
