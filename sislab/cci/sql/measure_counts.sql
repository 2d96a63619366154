-- Students meeting each measure (all measures met count, not only the best) and students whose
-- best measure it is, per school ($by_school) or for the district, from the counted students of
-- cci_rollup_current.
WITH met AS (
    SELECT CASE WHEN $by_school THEN school_id END AS school_id,
           unnest(measures_met) AS measure,
           best_measure
    FROM cci_rollup_current
    WHERE counted
)
SELECT school_id,
       measure,
       count(*) AS students_met,
       count(*) FILTER (WHERE measure = best_measure) AS students_best
FROM met
GROUP BY school_id, measure
ORDER BY school_id, list_position($measure_order, measure)
