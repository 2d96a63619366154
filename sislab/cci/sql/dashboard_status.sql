-- The dashboard's status table: published school status, the scored class ('graduated') and
-- current seniors' potential, per school; only $school when it is given. A group under the
-- rule set's n-size ($shown_n) shows no count at all, its size included (status.sql already
-- leaves its prepared, approaching and status empty).
SELECT s.school_id,
       sc.name AS school_name,
       s.population,
       s.cohort_year,
       CASE WHEN s.denominator >= $shown_n THEN s.denominator END AS students,
       s.prepared,
       s.approaching,
       s.status,
       s.status_level,
       s.prior_status,
       s.change,
       s.change_level,
       s.colour,
       s.note,
       s.computed_at
FROM cci_school_status AS s
LEFT JOIN school AS sc USING (school_id)
WHERE s.rule_set = $rule_set
  AND ($school IS NULL OR s.school_id = $school)
ORDER BY s.school_id, s.population
