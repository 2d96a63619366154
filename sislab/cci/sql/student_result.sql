-- Per-student CCI results from cci_measure_wide (one row per student, three columns per measure)
-- and its levels (cci_student_level: student_level.sql). Flags: the uncertain rules that decide the level
-- (every rule met at that tier is uncertain), and mixed_calendar. Missing: for a student not
-- Prepared, what is missing for the nearest started Prepared measures (fewest requirements).
-- Fifth-year graduates who are not Prepared are listed with counted = false and the reason in
-- `missing` (roll-ups read only counted rows).
-- Everything is scalar arithmetic in the student's own row (no row per measure, no grouping):
-- sets of measures are bits of a UBIGINT, bit i the i-th measure of engine.MEASURES, the rule
-- set's sets given as masks ($prepared_bits, ...); only the lists shown (measures met, flags) are
-- made once per distinct set and joined back. The engine writes in what is in braces,
-- over the rule set's enabled measures only (engine._generated): the nearest gap among the
-- started Prepared measures not met, and the words of what is missing there (from
-- measure_words.sql). A CASE evaluates the words only for the rows that reach
-- it: students not Prepared, and only for their nearest measures.
WITH ranked AS (
    SELECT *, {nearest_gap} AS nearest_gap
    FROM cci_student_level
),
leveled AS MATERIALIZED (  -- read twice: only what the result shows, words included
    SELECT student_id, school_id, cohort_year, fifth_year, outcome, level, counted,
           met_bits, p4_rule, mixed_calendar,
           CASE WHEN level = 'Prepared' THEN NULL
                WHEN late_diploma
                     THEN concat('diploma after 15 August ', cohort_year, ', outside the four-year window: ',
                                 'a fifth-year graduate, counted with the class of ', cohort_year + 1,
                                 ' only when Prepared')
                WHEN NOT regular_diploma THEN concat('no regular high-school diploma (', outcome, ')')
                ELSE concat_ws('; ',
                               CASE WHEN fifth_year THEN 'fifth-year graduate not Prepared, so not counted' END,
                               CASE WHEN ela IS NULL AND math IS NULL THEN 'no SBAC score on file' END,
                               CASE WHEN nearest_gap IS NULL THEN 'no evidence toward a Prepared measure'
                                    ELSE {nearest_missing} END)
           END AS missing
    FROM ranked
),
lists AS (  -- each distinct set of measures met and of flags, listed once: a lambda per student is costly
    SELECT met_bits, p4_rule, mixed_calendar,
           list_filter($measure_order, lambda _, i: (met_bits >> $order_bits[i]) & 1 = 1) AS measures_met,
           -- flags: the deciding rules when all of them are uncertain, and a mixed calendar
           CASE WHEN deciding_bits <> 0 AND deciding_bits & ~uncertain_bits = 0
                THEN list_sort(list_transform(list_filter($measure_ids, lambda _, i: (deciding_bits >> (i - 1)) & 1 = 1),
                                              lambda id: CASE WHEN id = 'P4' THEN p4_rule ELSE id END))
                ELSE [] END
               || CASE WHEN mixed_calendar THEN ['mixed_calendar'] ELSE [] END AS flags
    FROM (SELECT *,
                 -- the rules that decide the level: the measures met at its tier
                 CASE WHEN met_bits & $prepared_bits <> 0 THEN met_bits & $prepared_bits ELSE met_bits END
                     AS deciding_bits,
                 -- the rules met as uncertain: every measure's rule is itself, but P4's may be P4_AP_COURSES
                 ($uncertain_bits & ~(1::UBIGINT << 3)) | (list_contains($uncertain, p4_rule)::UBIGINT << 3)
                     AS uncertain_bits
          FROM (SELECT DISTINCT met_bits, p4_rule, mixed_calendar FROM leveled))
)
SELECT student_id,
       school_id,
       cohort_year,
       fifth_year,
       outcome,
       level,
       counted,
       measures_met,
       measures_met[1] AS best_measure,
       missing,
       flags,
       $rule_set AS rule_set
FROM leveled
JOIN lists USING (met_bits, p4_rule, mixed_calendar)
