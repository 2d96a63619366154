-- The near-miss list: current seniors one requirement away from Prepared, grouped by the
-- requirement they miss; only $school when it is given.
SELECT n.requirement,
       n.measure,
       n.school_id,
       sc.name AS school_name,
       n.student_id,
       st.last_name,
       st.first_name,
       n.level,
       n.missing,
       n.rule_set,
       n.computed_at
FROM cci_near_miss AS n
LEFT JOIN school AS sc USING (school_id)
LEFT JOIN student AS st USING (student_id)
WHERE n.rule_set = $rule_set
  AND ($school IS NULL OR n.school_id = $school)
ORDER BY n.requirement, n.school_id, st.last_name, st.first_name, n.student_id, n.measure
