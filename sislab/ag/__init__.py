"""A-G alignment against each school's UC A-G course list, and the CaliforniaColleges.edu
transcript files."""

from .alignment import AgReport, AgRule, check, load_rule, passes, rate_tenths, rate_text

__all__ = ["AgReport", "AgRule", "check", "load_rule", "passes", "rate_tenths", "rate_text"]
