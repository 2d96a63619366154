-- Students not Prepared who are one requirement away from a Prepared measure, one row per
-- student and such measure, grouped by the requirement they miss. Only students a measure
-- can count for (a regular diploma, or seniors assumed to graduate) and not fifth-year, and
-- only requirements that can still be met (a senior tested in grade 11 cannot close an SBAC gap).
-- Levels come from the class's result table (cci_scored): no grouping of the measure rows.
WITH candidate AS (  -- the students a near miss can be listed for
    SELECT e.student_id, e.school_id, r.level
    FROM cci_evidence AS e
    JOIN cci_scored AS r USING (student_id)
    WHERE r.level <> 'Prepared' AND e.regular_diploma AND NOT e.fifth_year
)
SELECT m.requirement,
       m.measure,
       c.school_id,
       c.student_id,
       c.level,
       m.missing,
       $rule_set AS rule_set
FROM cci_measure AS m
JOIN candidate AS c USING (student_id)
WHERE m.tier = 'Prepared' AND NOT m.met AND m.started AND m.gap = 1 AND m.closable
ORDER BY m.requirement, m.measure, c.school_id, c.student_id
