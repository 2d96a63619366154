-- The students each class scored together counts, one row per student and class (the temp
-- table cci_population, engine._populations): every class from one scan of the cohort and
-- student tables. Classes are given as lists, one element per scoring: $cohort_years (the
-- class, also the last school year whose evidence counts), $seniors, $fifth_year_graduates.
-- Scored class (seniors = false): the four-year cohort of its year, graduates or not, plus the
-- previous cohort's fifth-year graduates (the result counts them only when Prepared).
-- The four-year window closes on 15 August after the class year (cci_in_window, macros.sql): a
-- diploma after it is a fifth-year diploma, so in its own class's run that student has no
-- four-year diploma (Not Prepared, `late_diploma`) and next year's run counts them as a
-- fifth-year graduate. Seniors (seniors = true): the cohort of the year as if every member
-- graduated now with a regular diploma. Cohort and school are inputs.
WITH scoring AS (
    SELECT generate_subscripts($cohort_years::INTEGER[], 1) - 1 AS scoring,
           unnest($cohort_years::INTEGER[]) AS evidence_year,
           unnest($seniors::BOOLEAN[]) AS seniors,
           unnest($fifth_year_graduates::BOOLEAN[]) AS fifth_year_graduates
),
candidate AS (  -- each class's own cohort year
    SELECT c.*, s.scoring, s.evidence_year, s.seniors
    FROM cohort AS c
    JOIN scoring AS s ON s.evidence_year = c.cohort_year
    WHERE $schools::VARCHAR[] IS NULL OR list_contains($schools::VARCHAR[], c.school_id)
),
fifth_year_candidate AS (  -- the year before, read apart (not filtered from one reading of both
                           -- years: that reading would be stored for its two uses)
    SELECT c.*, s.scoring, s.evidence_year, s.seniors
    FROM cohort AS c
    JOIN scoring AS s ON s.evidence_year - 1 = c.cohort_year AND NOT s.seniors AND s.fifth_year_graduates
    WHERE ($schools::VARCHAR[] IS NULL OR list_contains($schools::VARCHAR[], c.school_id))
      AND c.outcome = 'regular_diploma'
      AND NOT cci_in_window(c.outcome_date, c.completion_year, s.evidence_year - 1)
      AND cci_in_window(c.outcome_date, c.completion_year, s.evidence_year)
),
counted AS (  -- a union, so that only fifth-year candidates are looked up in the class
    SELECT *, cci_in_window(outcome_date, completion_year, evidence_year) AS in_window
    FROM candidate
    UNION ALL
    SELECT f.*, true
    FROM fifth_year_candidate AS f
    ANTI JOIN (SELECT student_id, cohort_year FROM cohort  -- constant bounds: the scan skips other years
               WHERE cohort_year BETWEEN list_min($cohort_years::INTEGER[]) AND list_max($cohort_years::INTEGER[])) AS k
           ON k.student_id = f.student_id AND k.cohort_year = f.evidence_year
)
SELECT c.scoring,
       c.evidence_year,
       c.student_id,
       c.school_id,
       c.cohort_year,
       c.cohort_year < c.evidence_year AS fifth_year,
       c.outcome,
       c.seniors OR (c.outcome = 'regular_diploma' AND c.in_window) AS regular_diploma,
       NOT c.seniors AND c.outcome = 'alternative_diploma' AND c.in_window AS alternative_diploma,
       NOT c.seniors AND c.outcome IN ('regular_diploma', 'alternative_diploma') AND NOT c.in_window AS late_diploma,
       c.seniors,
       coalesce(c.ag_met, false) AS ag_met,
       coalesce(c.ever_swd, false)
           OR c.student_id IN (SELECT student_id FROM student WHERE swd) AS swd  -- half the time of a LEFT JOIN
FROM counted AS c
