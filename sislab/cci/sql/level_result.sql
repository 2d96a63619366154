-- The result of a class read only for its levels (the prior year's, for change and colour): the
-- columns roll-ups read, from cci_student_level (student_level.sql). No measures met, flags or
-- words: they are most of a full result's cost (student_result.sql).
SELECT student_id, school_id, cohort_year, fifth_year, outcome, level, counted, $rule_set AS rule_set
FROM cci_student_level
