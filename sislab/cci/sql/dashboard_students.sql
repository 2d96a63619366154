-- The dashboard's student list: every student of the scored class with level, whether counted
-- (fifth-year graduates count only when Prepared), the measures met and what is missing; only
-- $school when it is given.
SELECT r.school_id,
       sc.name AS school_name,
       r.student_id,
       st.last_name,
       st.first_name,
       r.level,
       r.counted,
       array_to_string(r.measures_met, ', ') AS measures_met,
       r.best_measure,
       r.missing,
       array_to_string(r.flags, ', ') AS flags,
       r.outcome,
       r.fifth_year,
       r.cohort_year,
       r.rule_set,
       r.computed_at
FROM cci_student_result AS r
LEFT JOIN school AS sc USING (school_id)
LEFT JOIN student AS st USING (student_id)
WHERE r.rule_set = $rule_set
  AND ($school IS NULL OR r.school_id = $school)
ORDER BY r.school_id, st.last_name, st.first_name, r.student_id
