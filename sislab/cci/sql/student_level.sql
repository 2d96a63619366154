-- Each student's level from cci_measure_wide (the CTE cci_student_level, which the engine puts in
-- front of the queries that read it): the set of measures met as bits of a UBIGINT (bit i the
-- i-th measure of engine.MEASURES, written by the engine over the rule set's enabled measures),
-- the level (the highest tier any measure earns) and whether the student is counted (fifth-year
-- graduates only when Prepared). A class read only for its levels (the prior year's, for change
-- and colour) needs nothing more (level_result.sql).
SELECT *,
       CASE WHEN met_bits & $prepared_bits <> 0 THEN 'Prepared'
            WHEN met_bits <> 0 THEN 'Approaching Prepared'
            ELSE 'Not Prepared' END AS level,
       NOT fifth_year OR met_bits & $prepared_bits <> 0 AS counted
FROM (SELECT *, {met_bits} AS met_bits FROM cci_measure_wide)
