-- Per-student CCI results from cci_evidence and cci_measure (the rows of measures.sql).
-- Level: the highest tier any measure earns. Flags: the uncertain rules that decide the level
-- (every rule met at that tier is uncertain), and mixed_calendar. Missing: for a student not
-- Prepared, what is missing for the nearest started Prepared measures (fewest requirements).
-- Fifth-year graduates are kept only when Prepared.
-- For speed the per-student pass aggregates numbers only: the measures met, and the uncertain
-- rules met per tier, as sets of bits (bit i: the i-th of $measure_order / $uncertain). The
-- `missing` words are built afterwards, only for students not Prepared, at their nearest gap.
WITH per_student AS (
    SELECT student_id,
           bit_or(1::UBIGINT << ordinal) FILTER (WHERE met) AS met_bits,
           count(*) FILTER (WHERE met AND prepared) AS prepared_met,
           count(*) FILTER (WHERE met AND NOT prepared) AS approaching_met,
           bit_or(1::UBIGINT << uncertain) FILTER (WHERE met AND prepared) AS prepared_uncertain_bits,
           bit_or(1::UBIGINT << uncertain) FILTER (WHERE met AND NOT prepared) AS approaching_uncertain_bits,
           min(gap) FILTER (WHERE NOT met) AS nearest_gap
    FROM (SELECT *, tier = 'Prepared' AS prepared, list_position($uncertain, rule) AS uncertain FROM cci_measure)
    WHERE met OR (started AND prepared)
    GROUP BY student_id
),
nearest AS (
    SELECT m.student_id,
           array_to_string(list_transform(list_sort(list({'ordinal': m.ordinal, 'missing': m.missing})),
                                          lambda g: g.missing), '; ') AS missing
    FROM cci_measure AS m
    JOIN per_student AS s ON s.student_id = m.student_id AND s.nearest_gap = m.gap
    WHERE s.prepared_met = 0 AND NOT m.met AND m.started AND m.tier = 'Prepared'
    GROUP BY m.student_id
),
leveled AS (
    SELECT e.*,
           list_filter($measure_order, lambda _, i: (m.met_bits >> i) & 1 = 1) AS measures_met,
           CASE WHEN m.prepared_met > 0 THEN 'Prepared'
                WHEN m.approaching_met > 0 THEN 'Approaching Prepared'
                ELSE 'Not Prepared' END AS level,
           CASE WHEN m.prepared_met > 0 THEN m.prepared_met ELSE m.approaching_met END AS deciding,
           CASE WHEN m.prepared_met > 0 THEN m.prepared_uncertain_bits
                ELSE m.approaching_uncertain_bits END AS deciding_uncertain_bits,
           m.nearest_gap,
           n.missing AS nearest_missing
    FROM cci_evidence AS e
    LEFT JOIN per_student AS m USING (student_id)
    LEFT JOIN nearest AS n USING (student_id)
)
SELECT student_id,
       school_id,
       cohort_year,
       fifth_year,
       outcome,
       level,
       coalesce(measures_met, []) AS measures_met,
       measures_met[1] AS best_measure,
       CASE WHEN level = 'Prepared' THEN NULL
            WHEN NOT regular_diploma THEN 'no regular high-school diploma (' || outcome || ')'
            WHEN nearest_gap IS NULL THEN 'no evidence toward a Prepared measure'
            ELSE nearest_missing
       END AS missing,
       CASE WHEN deciding > 0 AND bit_count(deciding_uncertain_bits) = deciding  -- all deciding rules uncertain
            THEN list_sort(list_filter($uncertain, lambda _, i: (deciding_uncertain_bits >> i) & 1 = 1))
            ELSE [] END
           || CASE WHEN mixed_calendar THEN ['mixed_calendar'] ELSE [] END AS flags,
       $rule_set AS rule_set
FROM leveled
WHERE NOT fifth_year OR level = 'Prepared'
