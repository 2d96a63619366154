-- The students a class's scoring counts, one row each (engine._populations puts the rows of
-- the classes scored together into the temp table cci_population), with the number of the
-- scoring ($scoring) and the last school year whose evidence counts ($cohort_year).
-- Scored class ($seniors = false): the four-year cohort of $cohort_year, graduates or not,
-- plus the previous cohort's fifth-year graduates (the result counts them only when Prepared).
-- The four-year window closes on 15 August after the class year (cci_in_window, macros.sql): a
-- diploma after it is a fifth-year diploma, so in its own class's run that student has no
-- four-year diploma (Not Prepared, `late_diploma`) and next year's run counts them as a
-- fifth-year graduate. Seniors ($seniors = true): the cohort of $cohort_year as if every member
-- graduated now with a regular diploma. Cohort and school are inputs.
WITH candidate AS (
    SELECT *
    FROM cohort
    WHERE ($schools::VARCHAR[] IS NULL OR list_contains($schools::VARCHAR[], school_id))
      AND cohort_year IN ($cohort_year, $cohort_year - 1)
),
counted AS (  -- a union, so that only fifth-year candidates are looked up in the class
    SELECT *, cci_in_window(outcome_date, completion_year, $cohort_year) AS in_window
    FROM candidate WHERE cohort_year = $cohort_year
    UNION ALL
    SELECT *, true
    FROM candidate
    WHERE NOT $seniors AND $fifth_year_graduates
      AND cohort_year = $cohort_year - 1
      AND outcome = 'regular_diploma'
      AND NOT cci_in_window(outcome_date, completion_year, $cohort_year - 1)
      AND cci_in_window(outcome_date, completion_year, $cohort_year)
      AND student_id NOT IN (SELECT student_id FROM cohort WHERE cohort_year = $cohort_year)
)
SELECT $scoring AS scoring,
       $cohort_year AS evidence_year,
       c.student_id,
       c.school_id,
       c.cohort_year,
       c.cohort_year < $cohort_year AS fifth_year,
       c.outcome,
       $seniors OR (c.outcome = 'regular_diploma' AND c.in_window) AS regular_diploma,
       NOT $seniors AND c.outcome = 'alternative_diploma' AND c.in_window AS alternative_diploma,
       NOT $seniors AND c.outcome IN ('regular_diploma', 'alternative_diploma') AND NOT c.in_window AS late_diploma,
       $seniors AS seniors,
       coalesce(c.ag_met, false) AS ag_met,
       coalesce(c.ever_swd, false)
           OR c.student_id IN (SELECT student_id FROM student WHERE swd) AS swd  -- half the time of a LEFT JOIN
FROM counted AS c
