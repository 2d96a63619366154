-- Students not Prepared who are one requirement away from a Prepared measure, one row per
-- student and such measure, grouped by the requirement they miss. Only students a measure
-- can count for (a regular diploma, or seniors assumed to graduate) and not fifth-year, and
-- only requirements that can still be met (a senior tested in grade 11 cannot close an SBAC gap).
WITH level AS (
    SELECT student_id,
           bool_or(met AND tier = 'Prepared') AS prepared,
           bool_or(met) AS approaching
    FROM cci_measure
    GROUP BY student_id
)
SELECT m.requirement,
       m.measure,
       e.school_id,
       e.student_id,
       CASE WHEN l.approaching THEN 'Approaching Prepared' ELSE 'Not Prepared' END AS level,
       m.missing,
       $rule_set AS rule_set
FROM cci_measure AS m
JOIN level AS l USING (student_id)
JOIN cci_evidence AS e USING (student_id)
WHERE m.tier = 'Prepared' AND NOT m.met AND m.started AND m.gap = 1 AND m.closable
  AND NOT l.prepared AND e.regular_diploma AND NOT e.fifth_year
ORDER BY m.requirement, m.measure, e.school_id, e.student_id
