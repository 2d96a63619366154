-- Students meeting each measure, and whose best measure it is, as counts and percent of the
-- school's scored class; only $school when it is given. A school whose class is under the
-- rule set's n-size ($shown_n) has no row: its status is not shown, so neither are its parts.
SELECT m.school_id,
       sc.name AS school_name,
       m.measure,
       m.students_met,
       m.students_best,
       round(100.0 * m.students_met / s.denominator, 1) AS pct_met,
       round(100.0 * m.students_best / s.denominator, 1) AS pct_best
FROM cci_measure_count AS m
JOIN cci_school_status AS s
  ON s.school_id = m.school_id AND s.rule_set = m.rule_set AND s.population = $graduated
LEFT JOIN school AS sc ON sc.school_id = m.school_id
WHERE m.rule_set = $rule_set
  AND s.denominator >= $shown_n
  AND ($school IS NULL OR m.school_id = $school)
ORDER BY m.school_id, list_position($measure_order, m.measure)
