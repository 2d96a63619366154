-- Per-student CCI results from cci_measure_wide (one row per student, a column per measure).
-- Level: the highest tier any measure earns. Flags: the uncertain rules that decide the level
-- (every rule met at that tier is uncertain), and mixed_calendar. Missing: for a student not
-- Prepared, what is missing for the nearest started Prepared measures (fewest requirements).
-- Fifth-year graduates are kept only when Prepared.
-- For speed everything but the words is scalar arithmetic in the student's own row (no row per
-- measure, no grouping): sets of measures are bits of a UBIGINT, bit i-1 the i-th of `ids`
-- (the measure columns' order). The `missing` words are built afterwards from cci_measure, only
-- for students not Prepared and only at their nearest gap.
WITH mask AS (
    SELECT ids,
           list_reduce(list_transform(ids, lambda id, i: list_contains($enabled, id)::UBIGINT << (i - 1)),
                       lambda a, b: a | b) AS enabled,
           list_reduce(list_transform(ids, lambda id, i: list_contains($prepared_measures, id)::UBIGINT << (i - 1)),
                       lambda a, b: a | b) AS prepared,
           list_reduce(list_transform(ids, lambda id, i: list_contains($uncertain, id)::UBIGINT << (i - 1)),
                       lambda a, b: a | b) AS uncertain,
           list_transform($measure_order, lambda id: list_position(ids, id) - 1) AS order_bits
    FROM (SELECT ['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7', 'P8', 'P9', 'P10', 'P11',
                  'A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A7', 'A8'] AS ids)
),
bits AS (
    SELECT w.*, k.*,
           k.enabled & (coalesce(P1.met, false)::UBIGINT | (coalesce(P2.met, false)::UBIGINT << 1)
               | (coalesce(P3.met, false)::UBIGINT << 2) | (coalesce(P4.met, false)::UBIGINT << 3)
               | (coalesce(P5.met, false)::UBIGINT << 4) | (coalesce(P6.met, false)::UBIGINT << 5)
               | (coalesce(P7.met, false)::UBIGINT << 6) | (coalesce(P8.met, false)::UBIGINT << 7)
               | (coalesce(P9.met, false)::UBIGINT << 8) | (coalesce(P10.met, false)::UBIGINT << 9)
               | (coalesce(P11.met, false)::UBIGINT << 10) | (coalesce(A1.met, false)::UBIGINT << 11)
               | (coalesce(A2.met, false)::UBIGINT << 12) | (coalesce(A3.met, false)::UBIGINT << 13)
               | (coalesce(A4.met, false)::UBIGINT << 14) | (coalesce(A5.met, false)::UBIGINT << 15)
               | (coalesce(A6.met, false)::UBIGINT << 16) | (coalesce(A7.met, false)::UBIGINT << 17)
               | (coalesce(A8.met, false)::UBIGINT << 18)) AS met_bits,
           -- started Prepared measures not met (their bits, then the fewest requirements among them)
           k.enabled & k.prepared
               & (coalesce(NOT P1.met AND P1.started, false)::UBIGINT | (coalesce(NOT P2.met AND P2.started, false)::UBIGINT << 1)
                  | (coalesce(NOT P3.met AND P3.started, false)::UBIGINT << 2) | (coalesce(NOT P4.met AND P4.started, false)::UBIGINT << 3)
                  | (coalesce(NOT P5.met AND P5.started, false)::UBIGINT << 4) | (coalesce(NOT P6.met AND P6.started, false)::UBIGINT << 5)
                  | (coalesce(NOT P7.met AND P7.started, false)::UBIGINT << 6) | (coalesce(NOT P8.met AND P8.started, false)::UBIGINT << 7)
                  | (coalesce(NOT P9.met AND P9.started, false)::UBIGINT << 8) | (coalesce(NOT P10.met AND P10.started, false)::UBIGINT << 9)
                  | (coalesce(NOT P11.met AND P11.started, false)::UBIGINT << 10) | (coalesce(NOT A1.met AND A1.started, false)::UBIGINT << 11)
                  | (coalesce(NOT A2.met AND A2.started, false)::UBIGINT << 12) | (coalesce(NOT A3.met AND A3.started, false)::UBIGINT << 13)
                  | (coalesce(NOT A4.met AND A4.started, false)::UBIGINT << 14) | (coalesce(NOT A5.met AND A5.started, false)::UBIGINT << 15)
                  | (coalesce(NOT A6.met AND A6.started, false)::UBIGINT << 16) | (coalesce(NOT A7.met AND A7.started, false)::UBIGINT << 17)
                  | (coalesce(NOT A8.met AND A8.started, false)::UBIGINT << 18)) AS open_bits,
           -- the rules met as uncertain: every measure's rule is itself, but P4's may be P4_AP_COURSES
           (k.uncertain & ~(1::UBIGINT << 3)) | (list_contains($uncertain, p4_rule)::UBIGINT << 3) AS uncertain_bits
    FROM cci_measure_wide AS w
    CROSS JOIN mask AS k
),
leveled AS (
    SELECT *,
           CASE WHEN met_bits & prepared <> 0 THEN 'Prepared'
                WHEN met_bits <> 0 THEN 'Approaching Prepared'
                ELSE 'Not Prepared' END AS level,
           CASE WHEN met_bits & prepared <> 0 THEN met_bits & prepared ELSE met_bits END AS deciding_bits,
           least(CASE WHEN open_bits & 1 <> 0 THEN P1.gap END, CASE WHEN (open_bits >> 1) & 1 <> 0 THEN P2.gap END,
                 CASE WHEN (open_bits >> 2) & 1 <> 0 THEN P3.gap END, CASE WHEN (open_bits >> 3) & 1 <> 0 THEN P4.gap END,
                 CASE WHEN (open_bits >> 4) & 1 <> 0 THEN P5.gap END, CASE WHEN (open_bits >> 5) & 1 <> 0 THEN P6.gap END,
                 CASE WHEN (open_bits >> 6) & 1 <> 0 THEN P7.gap END, CASE WHEN (open_bits >> 7) & 1 <> 0 THEN P8.gap END,
                 CASE WHEN (open_bits >> 8) & 1 <> 0 THEN P9.gap END, CASE WHEN (open_bits >> 9) & 1 <> 0 THEN P10.gap END,
                 CASE WHEN (open_bits >> 10) & 1 <> 0 THEN P11.gap END, CASE WHEN (open_bits >> 11) & 1 <> 0 THEN A1.gap END,
                 CASE WHEN (open_bits >> 12) & 1 <> 0 THEN A2.gap END, CASE WHEN (open_bits >> 13) & 1 <> 0 THEN A3.gap END,
                 CASE WHEN (open_bits >> 14) & 1 <> 0 THEN A4.gap END, CASE WHEN (open_bits >> 15) & 1 <> 0 THEN A5.gap END,
                 CASE WHEN (open_bits >> 16) & 1 <> 0 THEN A6.gap END, CASE WHEN (open_bits >> 17) & 1 <> 0 THEN A7.gap END,
                 CASE WHEN (open_bits >> 18) & 1 <> 0 THEN A8.gap END) AS nearest_gap
    FROM bits
),
nearest AS (
    SELECT m.student_id,
           array_to_string(list_transform(list_sort(list({'ordinal': m.ordinal, 'missing': m.missing})),
                                          lambda g: g.missing), '; ') AS missing
    FROM cci_measure AS m
    JOIN leveled AS s ON s.student_id = m.student_id AND s.nearest_gap = m.gap
    WHERE s.level <> 'Prepared' AND s.regular_diploma AND NOT s.fifth_year  -- where `missing` shows them
      AND NOT m.met AND m.started AND m.tier = 'Prepared'
    GROUP BY m.student_id
)
SELECT student_id,
       school_id,
       cohort_year,
       fifth_year,
       outcome,
       level,
       list_filter($measure_order, lambda _, i: (met_bits >> order_bits[i]) & 1 = 1) AS measures_met,
       measures_met[1] AS best_measure,
       CASE WHEN level = 'Prepared' THEN NULL
            WHEN NOT regular_diploma THEN 'no regular high-school diploma (' || outcome || ')'
            WHEN nearest_gap IS NULL THEN 'no evidence toward a Prepared measure'
            ELSE n.missing
       END AS missing,
       CASE WHEN deciding_bits <> 0 AND deciding_bits & ~uncertain_bits = 0  -- all deciding rules uncertain
            THEN list_sort(list_transform(list_filter(ids, lambda _, i: (deciding_bits >> (i - 1)) & 1 = 1),
                                          lambda id: CASE WHEN id = 'P4' THEN p4_rule ELSE id END))
            ELSE [] END
           || CASE WHEN mixed_calendar THEN ['mixed_calendar'] ELSE [] END AS flags,
       $rule_set AS rule_set
FROM leveled
LEFT JOIN nearest AS n USING (student_id)
WHERE NOT fifth_year OR level = 'Prepared'
