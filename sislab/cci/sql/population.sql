-- The students a run counts, one row each, into the temp table cci_population.
-- Scored class ($seniors = false): the four-year cohort of $cohort_year, graduates or not,
-- plus the previous cohort's graduates of $cohort_year (fifth-year graduates; the result
-- keeps them only when Prepared). Seniors ($seniors = true): the cohort of $cohort_year as if
-- every member graduated now with a regular diploma. Cohort and school are inputs.
CREATE OR REPLACE TEMP TABLE cci_population AS
WITH candidate AS (
    SELECT *
    FROM cohort
    WHERE ($schools::VARCHAR[] IS NULL OR list_contains($schools::VARCHAR[], school_id))
      AND cohort_year IN ($cohort_year, $cohort_year - 1)
),
counted AS (  -- a union, so that only fifth-year candidates are looked up in the class
    SELECT * FROM candidate WHERE cohort_year = $cohort_year
    UNION ALL
    SELECT * FROM candidate
    WHERE NOT $seniors AND $fifth_year_graduates
      AND cohort_year = $cohort_year - 1
      AND outcome = 'regular_diploma'
      AND completion_year = $cohort_year
      AND student_id NOT IN (SELECT student_id FROM cohort WHERE cohort_year = $cohort_year)
)
SELECT c.student_id,
       c.school_id,
       c.cohort_year,
       c.cohort_year < $cohort_year AS fifth_year,
       c.outcome,
       $seniors OR c.outcome = 'regular_diploma' AS regular_diploma,
       NOT $seniors AND c.outcome = 'alternative_diploma' AS alternative_diploma,
       coalesce(c.ag_met, false) AS ag_met,
       c.student_id IN (SELECT student_id FROM student WHERE swd) AS swd  -- half the time of a LEFT JOIN
FROM counted AS c
