-- Per-student CCI results from cci_measure_wide (one row per student, three columns per measure).
-- Level: the highest tier any measure earns. Flags: the uncertain rules that decide the level
-- (every rule met at that tier is uncertain), and mixed_calendar. Missing: for a student not
-- Prepared, what is missing for the nearest started Prepared measures (fewest requirements).
-- Fifth-year graduates are kept only when Prepared.
-- Everything is scalar arithmetic in the student's own row (no row per measure, no grouping, no
-- join): sets of measures are bits of a UBIGINT, bit i the i-th measure of engine.MEASURES, the
-- rule set's sets given as masks ($enabled_bits, ...). The words of `missing` are put in by the
-- engine where the ELSE below names nearest_missing in braces (from measure_words.sql): a CASE
-- evaluates them only for the rows that reach it, i.e. for students not Prepared, and only for
-- their nearest measures.
WITH bits AS (
    SELECT *,
           $enabled_bits & (P1_met::UBIGINT | (P2_met::UBIGINT << 1) | (P3_met::UBIGINT << 2)
               | (P4_met::UBIGINT << 3) | (P5_met::UBIGINT << 4) | (P6_met::UBIGINT << 5)
               | (P7_met::UBIGINT << 6) | (P8_met::UBIGINT << 7) | (P9_met::UBIGINT << 8)
               | (P10_met::UBIGINT << 9) | (P11_met::UBIGINT << 10) | (A1_met::UBIGINT << 11)
               | (A2_met::UBIGINT << 12) | (A3_met::UBIGINT << 13) | (A4_met::UBIGINT << 14)
               | (A5_met::UBIGINT << 15) | (A6_met::UBIGINT << 16) | (A7_met::UBIGINT << 17)
               | (A8_met::UBIGINT << 18)) AS met_bits,
           -- started Prepared measures not met
           $enabled_bits & $prepared_bits
               & ((P1_started AND NOT P1_met)::UBIGINT | ((P2_started AND NOT P2_met)::UBIGINT << 1)
                  | ((P3_started AND NOT P3_met)::UBIGINT << 2) | ((P4_started AND NOT P4_met)::UBIGINT << 3)
                  | ((P5_started AND NOT P5_met)::UBIGINT << 4) | ((P6_started AND NOT P6_met)::UBIGINT << 5)
                  | ((P7_started AND NOT P7_met)::UBIGINT << 6) | ((P8_started AND NOT P8_met)::UBIGINT << 7)
                  | ((P9_started AND NOT P9_met)::UBIGINT << 8) | ((P10_started AND NOT P10_met)::UBIGINT << 9)
                  | ((P11_started AND NOT P11_met)::UBIGINT << 10) | ((A1_started AND NOT A1_met)::UBIGINT << 11)
                  | ((A2_started AND NOT A2_met)::UBIGINT << 12) | ((A3_started AND NOT A3_met)::UBIGINT << 13)
                  | ((A4_started AND NOT A4_met)::UBIGINT << 14) | ((A5_started AND NOT A5_met)::UBIGINT << 15)
                  | ((A6_started AND NOT A6_met)::UBIGINT << 16) | ((A7_started AND NOT A7_met)::UBIGINT << 17)
                  | ((A8_started AND NOT A8_met)::UBIGINT << 18)) AS open_bits
    FROM cci_measure_wide
),
leveled AS MATERIALIZED (
    SELECT *,
           CASE WHEN met_bits & $prepared_bits <> 0 THEN 'Prepared'
                WHEN met_bits <> 0 THEN 'Approaching Prepared'
                ELSE 'Not Prepared' END AS level,
           CASE WHEN met_bits & $prepared_bits <> 0 THEN met_bits & $prepared_bits ELSE met_bits END AS deciding_bits,
           -- the rules met as uncertain: every measure's rule is itself, but P4's may be P4_AP_COURSES
           ($uncertain_bits & ~(1::UBIGINT << 3)) | (list_contains($uncertain, p4_rule)::UBIGINT << 3) AS uncertain_bits,
           least(CASE WHEN open_bits & 1 <> 0 THEN P1_gap END, CASE WHEN (open_bits >> 1) & 1 <> 0 THEN P2_gap END,
                 CASE WHEN (open_bits >> 2) & 1 <> 0 THEN P3_gap END, CASE WHEN (open_bits >> 3) & 1 <> 0 THEN P4_gap END,
                 CASE WHEN (open_bits >> 4) & 1 <> 0 THEN P5_gap END, CASE WHEN (open_bits >> 5) & 1 <> 0 THEN P6_gap END,
                 CASE WHEN (open_bits >> 6) & 1 <> 0 THEN P7_gap END, CASE WHEN (open_bits >> 7) & 1 <> 0 THEN P8_gap END,
                 CASE WHEN (open_bits >> 8) & 1 <> 0 THEN P9_gap END, CASE WHEN (open_bits >> 9) & 1 <> 0 THEN P10_gap END,
                 CASE WHEN (open_bits >> 10) & 1 <> 0 THEN P11_gap END, CASE WHEN (open_bits >> 11) & 1 <> 0 THEN A1_gap END,
                 CASE WHEN (open_bits >> 12) & 1 <> 0 THEN A2_gap END, CASE WHEN (open_bits >> 13) & 1 <> 0 THEN A3_gap END,
                 CASE WHEN (open_bits >> 14) & 1 <> 0 THEN A4_gap END, CASE WHEN (open_bits >> 15) & 1 <> 0 THEN A5_gap END,
                 CASE WHEN (open_bits >> 16) & 1 <> 0 THEN A6_gap END, CASE WHEN (open_bits >> 17) & 1 <> 0 THEN A7_gap END,
                 CASE WHEN (open_bits >> 18) & 1 <> 0 THEN A8_gap END) AS nearest_gap
    FROM bits
),
met_set AS (  -- each distinct set of measures met, listed once: a lambda per student is costly
    SELECT met_bits, measures_met, measures_met[1] AS best_measure
    FROM (SELECT met_bits, list_filter($measure_order, lambda _, i: (met_bits >> $order_bits[i]) & 1 = 1) AS measures_met
          FROM (SELECT DISTINCT met_bits FROM leveled))
),
flag_set AS (  -- likewise each distinct set of flags: the deciding rules when all are uncertain
    SELECT deciding_bits, uncertain_bits, p4_rule, mixed_calendar,
           CASE WHEN deciding_bits <> 0 AND deciding_bits & ~uncertain_bits = 0
                THEN list_sort(list_transform(list_filter($measure_ids, lambda _, i: (deciding_bits >> (i - 1)) & 1 = 1),
                                              lambda id: CASE WHEN id = 'P4' THEN p4_rule ELSE id END))
                ELSE [] END
               || CASE WHEN mixed_calendar THEN ['mixed_calendar'] ELSE [] END AS flags
    FROM (SELECT DISTINCT deciding_bits, uncertain_bits, p4_rule, mixed_calendar FROM leveled)
)
SELECT student_id,
       school_id,
       cohort_year,
       fifth_year,
       outcome,
       level,
       measures_met,
       best_measure,
       CASE WHEN level = 'Prepared' THEN NULL
            WHEN NOT regular_diploma THEN 'no regular high-school diploma (' || outcome || ')'
            WHEN nearest_gap IS NULL THEN 'no evidence toward a Prepared measure'
            ELSE {nearest_missing}
       END AS missing,
       flags,
       $rule_set AS rule_set
FROM leveled
JOIN met_set USING (met_bits)
JOIN flag_set USING (deciding_bits, uncertain_bits, p4_rule, mixed_calendar)
WHERE NOT fifth_year OR level = 'Prepared'
