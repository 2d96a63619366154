-- Per-student CCI results from cci_evidence and cci_measure (the rows of measures.sql).
-- Level: the highest tier any measure earns. Flags: the uncertain rules that decide the level
-- (every rule met at that tier is uncertain), and mixed_calendar. Missing: for a student not
-- Prepared, what is missing for the nearest started Prepared measures (fewest requirements).
-- Fifth-year graduates are kept only when Prepared.
WITH per_student AS (
    -- lists are sorted afterwards (by ordinal): cheaper than ordered aggregates
    SELECT student_id,
           list_sort(list(ordinal) FILTER (WHERE met)) AS met_ordinals,
           list_sort(list(rule) FILTER (WHERE met AND tier = 'Prepared')) AS prepared_rules,
           list_sort(list(rule) FILTER (WHERE met AND tier <> 'Prepared')) AS approaching_rules,
           min(gap) FILTER (WHERE NOT met) AS nearest_gap,
           list_sort(list({'ordinal': ordinal, 'gap': gap, 'missing': missing}) FILTER (WHERE NOT met)) AS gaps
    FROM cci_measure
    WHERE met OR (started AND tier = 'Prepared')
    GROUP BY student_id
),
leveled AS (
    SELECT e.*,
           m.* EXCLUDE (student_id),
           list_transform(m.met_ordinals, lambda i: $measure_order[i]) AS measures_met,
           CASE WHEN len(m.prepared_rules) > 0 THEN 'Prepared'
                WHEN len(m.approaching_rules) > 0 THEN 'Approaching Prepared'
                ELSE 'Not Prepared' END AS level,
           coalesce(m.prepared_rules, m.approaching_rules, []) AS deciding_rules
    FROM cci_evidence AS e
    LEFT JOIN per_student AS m USING (student_id)
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
            ELSE array_to_string(list_transform(list_filter(gaps, lambda g: g.gap = nearest_gap),
                                                lambda g: g.missing), '; ')
       END AS missing,
       CASE WHEN len(deciding_rules) > 0 AND list_has_all($uncertain, deciding_rules) THEN deciding_rules
            ELSE [] END
           || CASE WHEN mixed_calendar THEN ['mixed_calendar'] ELSE [] END AS flags,
       $rule_set AS rule_set
FROM leveled
WHERE NOT fifth_year OR level = 'Prepared'
