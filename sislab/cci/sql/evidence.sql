-- Evidence for the CCI measures, one row per row of cci_population (the engine stores it as
-- cci_evidence_all, or reads it inline as the CTE cci_evidence where one class is scored alone):
-- facts only (levels, counts, awards); the rule set's thresholds are applied in measures_wide.sql.
-- Marks are read once, joined to the (small) course table: only passing marks of college, AP
-- and JROTC (leadership / military science) courses matter. Evidence dated after a student's
-- evidence_year (the last school year of the class they are scored with) is ignored.
-- Each input is read once and aggregated per student and evidence year (classes scored
-- together read it once: engine.score_classes). Per-student inputs are read as cci_<table>
-- (engine.SCOPED_INPUTS), each row with the evidence_year of its student: only the
-- population's rows when it is a small share of the cohort or has several evidence years.
-- Aggregates are grouped and joined on {key}, which the engine writes: student_id, and the
-- evidence year too when classes of several years are read together (a constant key column
-- costs a few percent of every grouping and join).
WITH ap_course AS (  -- bit i = the i-th AP course (evidence_domains.sql)
    SELECT unnest($ap_course_ids) AS course_id, generate_subscripts($ap_course_ids, 1) - 1 AS bit
),
exam_subject AS (  -- bit i = the i-th AP / IB exam subject
    SELECT unnest($exam_subjects) AS subject, generate_subscripts($exam_subjects, 1) - 1 AS bit
),
course_kind AS (
    SELECT c.course_id,
           c.cte_pathway,
           coalesce(list_contains($college_levels, c.nonstandard_level), false)
               OR coalesce(list_contains($college_course_codes, c.state_course_code), false) AS college,
           coalesce(c.ap, false) AS ap,
           coalesce(c.jrotc, false) OR coalesce(list_contains($lms_course_codes, c.state_course_code), false) AS jrotc,
           a.bit AS ap_bit
    FROM course AS c
    LEFT JOIN ap_course AS a USING (course_id)
),
term AS (  -- a join, cheaper than looking each mark's term type up in a list
    SELECT term_type, thirds, list_position($term_calendars, calendar) AS calendar  -- compared as numbers
    FROM (SELECT unnest($term_types) AS term_type, unnest($term_thirds) AS thirds, unnest($term_calendars) AS calendar)
),
passed AS MATERIALIZED (
    -- C- or better (Pass too, for college courses); college credit also needs college credit
    -- awarded (mark.college_credits; high-school credits_earned alone is not college credit).
    -- Narrow, as every consumer reads it whole: what only college credit needs is NULL on other
    -- rows, so aggregates need no FILTER (they skip NULLs); about 0.1 s less on a statewide class.
    SELECT student_id,
           evidence_year,
           school_year,
           ap_bit,
           CASE WHEN college_credit THEN cte_pathway END AS college_pathway,
           CASE WHEN college_credit THEN thirds END AS college_thirds,
           CASE WHEN college_credit THEN calendar END AS college_calendar,
           CASE WHEN jrotc THEN school_year END AS jrotc_year
    FROM (SELECT m.student_id, m.evidence_year, m.school_year, k.ap_bit, k.cte_pathway, t.thirds, t.calendar, k.jrotc,
                 k.college AND coalesce(m.college_credits, 0) > 0 AS college_credit
          FROM cci_mark AS m
          JOIN course_kind AS k ON k.course_id = m.course_id AND (k.college OR k.ap OR k.jrotc)
          LEFT JOIN term AS t ON t.term_type = m.term_type
          WHERE m.school_year <= m.evidence_year
            AND (list_contains($passing_marks, m.mark)
                 OR (k.college AND list_contains($college_pass_marks, m.mark))))
),
courses AS (
    -- college credit: terms are counted, not units, in thirds of a semester (a quarter or
    -- trimester = 2/3); more than one calendar: min <> max (cheaper than a distinct count).
    -- Distinct values are counted as bits (see evidence_domains.sql): count(DISTINCT ...) FILTER
    -- is planned as extra aggregates joined back, several times slower. What is in braces the
    -- engine writes (engine._bit_count): the bits OR-ed into one UBIGINT per 64 values, counted.
    SELECT {key},
           sum(college_thirds) AS college_thirds,
           min(college_calendar) <> max(college_calendar) AS mixed_calendar,
           $term_calendars[min(college_calendar)] AS college_unit,  -- the calendar its terms are counted in
           {ap_courses} AS ap_courses,
           -- school years with a JROTC course passed, as bits of one integer (a distinct count
           -- would be planned as an extra aggregate joined back); years are < 60 apart
           bit_or(1::BIGINT << (jrotc_year % 60)) AS jrotc_year_bits
    FROM passed
    GROUP BY {key}
),
college_in_pathway_year AS (
    SELECT {key}, school_year, college_pathway AS pathway_code, sum(college_thirds) AS thirds
    FROM passed
    WHERE college_pathway IS NOT NULL
    GROUP BY ALL
),
cte AS (
    -- Completions with C- or better in the capstone. For P1, college credit earned in the
    -- completion year in a course of the same pathway does not count with that completion:
    -- the fewest college thirds in a completion's pathway and year (the best completion for P1).
    SELECT {key}, min(coalesce(y.thirds, 0)) AS pathway_year_thirds
    FROM cci_cte_completion AS t
    LEFT JOIN college_in_pathway_year AS y USING ({key}, school_year, pathway_code)
    WHERE t.school_year <= t.evidence_year
      AND list_contains($passing_marks, t.capstone_mark)
    GROUP BY {key}
),
scores AS (
    -- grade-11 SBAC levels, and AP / IB exams: distinct subjects at the minimum score
    SELECT {key},
           max(t.level) FILTER (WHERE t.test = 'CAASPP_ELA') AS ela,
           max(t.level) FILTER (WHERE t.test = 'CAASPP_MATH') AS math,
           {ap_exams} AS ap_exams,  -- distinct subjects, as bits (see courses)
           {ib_exams} AS ib_exams
    FROM cci_test_score AS t
    LEFT JOIN exam_subject AS s ON s.subject = coalesce(t.subject, '')
    WHERE t.school_year <= t.evidence_year
      AND ((t.test IN ('CAASPP_ELA', 'CAASPP_MATH') AND t.grade = $sbac_grade)
           OR (t.test = 'AP' AND t.level >= $ap_min) OR (t.test = 'IB' AND t.level >= $ib_min))
    GROUP BY {key}
),
wbl AS (  -- CALPADS work-based learning types completed
    SELECT {key}, list(DISTINCT wbl_type) AS wbl
    FROM cci_work_based_learning
    WHERE school_year <= evidence_year
    GROUP BY {key}
),
awards AS (
    -- leadership / military science: the school years of each row, as bits like JROTC's (see
    -- courses): its `years` of participation up to the school year listed, or that year alone
    SELECT {key},
           list_distinct(list(award)) AS awards,
           bit_or(list_aggregate(list_transform(range(school_year - coalesce(years, 1) + 1, school_year + 1),
                                                lambda y: 1::BIGINT << (y % 60)), 'bit_or'))
               FILTER (WHERE award = 'LEADERSHIP_MILITARY_SCIENCE') AS lms_year_bits
    FROM cci_award
    WHERE school_year <= evidence_year
    GROUP BY {key}
)
SELECT p.*,
       t.ela,
       t.math,
       coalesce(t.ap_exams, 0) AS ap_exams,
       coalesce(t.ib_exams, 0) AS ib_exams,
       coalesce(c.ap_courses, 0) AS ap_courses,
       coalesce(c.college_thirds, 0) AS college_thirds,
       coalesce(c.mixed_calendar, false) AS mixed_calendar,
       c.college_unit,
       v.student_id IS NOT NULL AS cte_done,
       coalesce(c.college_thirds, 0) - v.pathway_year_thirds AS cte_other_thirds,  -- NULL: no completion
       w.awards,  -- NULL: none (an empty list made for every student cost more than the NULLs)
       b.wbl,  -- NULL: none
       -- distinct school years of leadership / military science, from awards and JROTC together
       bit_count(coalesce(w.lms_year_bits, 0) | coalesce(c.jrotc_year_bits, 0)) AS lms_years
FROM cci_population AS p
LEFT JOIN scores AS t USING ({key})
LEFT JOIN courses AS c USING ({key})
LEFT JOIN cte AS v USING ({key})
LEFT JOIN awards AS w USING ({key})
LEFT JOIN wbl AS b USING ({key})
