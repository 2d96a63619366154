"""California College/Career Indicator (CCI): rules, per-student results and roll-ups."""

from .engine import near_misses, potential, student_measures, student_results
from .rollup import district_status, group_status, measure_counts, school_status
from .rules import RuleSet, UnknownRuleSet, load_rule_set, rule_set_names

__all__ = [
    "RuleSet", "UnknownRuleSet", "load_rule_set", "rule_set_names",
    "student_results", "potential", "near_misses", "student_measures",
    "school_status", "district_status", "group_status", "measure_counts",
]
