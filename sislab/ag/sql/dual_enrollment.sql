-- ag_dual_enrollment: the one definition of a dual-enrolment (college) course, used by the A-G
-- universe (offered.sql leaves these out) and the transcripts' DualEnrollmentIndicator: the
-- course's dual_credit flag, or a CALPADS non-standard instructional level among dual_levels
-- (rule.toml: 23 college only, 24 dual credit).
CREATE OR REPLACE TEMP MACRO ag_dual_enrollment(dual_credit, nonstandard_level, dual_levels) AS
    coalesce(dual_credit, false) OR coalesce(list_contains(dual_levels, nonstandard_level), false);
