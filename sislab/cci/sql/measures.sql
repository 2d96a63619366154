-- Every measure for every student of cci_evidence, one row each (used as the CTE cci_measure).
--   evidence     the measure's rule holds
--   counts       a diploma lets it count (regular; A7 in 2025 also the alternative diploma)
--   rule         the rule that met it (a measure id, or P4_AP_COURSES when courses were needed)
--   gap          requirements still missing; started: some evidence toward the measure exists
--   requirement  the one missing requirement when gap = 1 (near-miss groups, Prepared tier)
--   missing      what is missing, in words
WITH measure AS (
    SELECT student_id, 'P1' AS measure, 'P1' AS rule, regular_diploma AS counts,
           cte_done AND (sbac_mixed OR cte_college) AS evidence,
           (NOT cte_done)::INT + (NOT (sbac_mixed OR cte_college))::INT AS gap,
           cte_done OR sbac_mixed OR cte_college AS started,
           CASE WHEN cte_done THEN 'mixed SBAC or one college semester' ELSE 'CTE pathway completion' END AS requirement,
           CASE WHEN NOT cte_done AND NOT (sbac_mixed OR cte_college)
                    THEN 'no CTE pathway completion, and needs mixed SBAC or one college semester for P1'
                WHEN NOT cte_done THEN 'needs a CTE pathway completion for P1'
                WHEN college_short
                    THEN 'CTE pathway completed; its college credit is in the capstone''s pathway and year, '
                         || 'needs mixed SBAC or college credit in another pathway or year for P1'
                ELSE 'CTE pathway completed; ' || cci_score('ELA', ela) || ', ' || cci_score('math', math) || ' and '
                     || cci_semesters(college_thirds) || ', needs mixed SBAC or one college semester for P1'
           END AS missing
    FROM cci_evidence
    UNION ALL
    SELECT student_id, 'P2', 'P2', regular_diploma,
           sbac_prepared,
           (NOT ela_prepared)::INT + (NOT coalesce(math >= $sbac_prepared, false))::INT,
           ela IS NOT NULL OR math IS NOT NULL,
           CASE WHEN ela_prepared THEN 'SBAC math level ' || $sbac_prepared
                WHEN math >= $sbac_prepared THEN 'SBAC ELA level ' || $sbac_prepared
                ELSE 'SBAC ELA and math level ' || $sbac_prepared END,
           CASE WHEN ela_prepared THEN cci_score('math', math) || ', needs ' || $sbac_prepared
                WHEN math >= $sbac_prepared THEN cci_score('ELA', ela) || ', needs ' || $sbac_prepared
                ELSE cci_score('ELA', ela) || ' and ' || cci_score('math', math) || ', need ' || $sbac_prepared
           END || ' for P2'
    FROM cci_evidence
    UNION ALL
    SELECT student_id, 'P3', 'P3', regular_diploma,
           college_full,
           1,
           college_thirds > 0,
           'more college credit',
           cci_semesters(college_thirds) || ', needs ' || cci_count($full_thirds // 3) || ' for P3'
    FROM cci_evidence
    UNION ALL
    SELECT student_id, 'P4', CASE WHEN ap_exams >= $exams_needed THEN 'P4' ELSE 'P4_AP_COURSES' END, regular_diploma,
           ap_count >= $exams_needed,
           greatest($exams_needed - ap_count, 0),
           ap_count > 0,
           'another AP exam ≥ ' || $ap_min || CASE WHEN $p4_ap_courses THEN ' or AP course' ELSE '' END,
           cci_plural(ap_exams, 'AP exam') || ' ≥ ' || $ap_min
               || CASE WHEN $p4_ap_courses THEN ' and ' || cci_plural(ap_courses, 'AP course') || ' with C- or better'
                       ELSE '' END
               || ', needs ' || cci_count($exams_needed) || ' for P4'
    FROM cci_evidence
    UNION ALL
    SELECT student_id, 'P5', 'P5', regular_diploma,
           ib_exams >= $exams_needed,
           greatest($exams_needed - ib_exams, 0),
           ib_exams > 0,
           'another IB exam ≥ ' || $ib_min,
           cci_plural(ib_exams, 'IB exam') || ' ≥ ' || $ib_min || ', needs ' || cci_count($exams_needed) || ' for P5'
    FROM cci_evidence
    UNION ALL
    SELECT student_id, 'P6', 'P6', regular_diploma,
           ag_met AND p6_extra,
           (NOT ag_met)::INT + (NOT p6_extra)::INT,
           ag_met OR p6_extra,
           CASE WHEN ag_met THEN 'CTE completion, mixed SBAC, college semester, AP or IB exam' ELSE 'a-g requirements' END,
           CASE WHEN NOT ag_met AND NOT p6_extra
                    THEN 'a-g not met, and none of CTE pathway completion, mixed SBAC, one college semester, '
                         || 'an AP or IB exam for P6'
                WHEN NOT ag_met THEN 'a-g not met for P6'
                ELSE 'a-g met; needs one of CTE pathway completion, mixed SBAC, one college semester, '
                     || 'one AP exam ≥ ' || $ap_min || ' or one IB exam ≥ ' || $ib_min || ' for P6'
           END
    FROM cci_evidence
    UNION ALL
    SELECT student_id, 'P7', 'P7', regular_diploma,
           seal AND ela_prepared,
           (NOT seal)::INT + (NOT ela_prepared)::INT,
           seal OR ela_prepared,
           CASE WHEN seal THEN 'SBAC ELA level ' || $sbac_prepared ELSE 'State Seal of Biliteracy' END,
           CASE WHEN NOT seal AND NOT ela_prepared
                    THEN 'no State Seal of Biliteracy, and ' || cci_score('ELA', ela) || ', needs ' || $sbac_prepared
                WHEN NOT seal THEN 'no State Seal of Biliteracy'
                ELSE 'State Seal of Biliteracy; ' || cci_score('ELA', ela) || ', needs ' || $sbac_prepared
           END || ' for P7'
    FROM cci_evidence
    UNION ALL
    SELECT student_id, 'P8', 'P8', regular_diploma,
           lms_done AND sbac_mixed,
           (NOT lms_done)::INT + (NOT sbac_mixed)::INT,
           lms_years > 0 OR sbac_mixed,
           CASE WHEN lms_done THEN 'mixed SBAC'
                ELSE cci_count($lms_years) || ' years of leadership / military science' END,
           concat_ws('; ',
                     CASE WHEN NOT lms_done THEN cci_plural(lms_years, 'year')
                          || ' of leadership / military science, needs ' || cci_count($lms_years) END,
                     CASE WHEN NOT sbac_mixed THEN cci_score('ELA', ela) || ' and ' || cci_score('math', math)
                          || ', needs mixed SBAC' END) || ' for P8'
    FROM cci_evidence
    UNION ALL
    SELECT student_id, 'P9', 'P9', regular_diploma,
           list_contains(awards, 'PRE_APPRENTICESHIP'), 1, false,
           'registered pre-apprenticeship', 'no registered pre-apprenticeship for P9'
    FROM cci_evidence
    UNION ALL
    SELECT student_id, 'P10', 'P10', regular_diploma,
           list_has_any(awards, $p10_awards), 1, false,
           'state or federal job program', 'no state or federal job program for P10'
    FROM cci_evidence
    UNION ALL
    SELECT student_id, 'P11', 'P11', regular_diploma,
           len(p11_missing) = 0,
           len(p11_missing),
           len(p11_missing) < len($p11_awards),
           cci_award(p11_missing[1]),
           'no ' || array_to_string(list_transform(p11_missing, lambda a: cci_award(a)), ' or ') || ' for P11'
    FROM (SELECT *, list_filter($p11_awards, lambda a: NOT list_contains(awards, a)) AS p11_missing FROM cci_evidence)
    UNION ALL
    SELECT student_id, 'A1', 'A1', regular_diploma, cte_done, 1, false, NULL,
           'no CTE pathway completion for A1'
    FROM cci_evidence
    UNION ALL
    SELECT student_id, 'A2', 'A2', regular_diploma, sbac_approaching, 1, false, NULL,
           cci_score('ELA', ela) || ' and ' || cci_score('math', math) || ', need ' || $sbac_approaching || ' for A2'
    FROM cci_evidence
    UNION ALL
    SELECT student_id, 'A3', 'A3', regular_diploma, college_short, 1, false, NULL,
           cci_semesters(college_thirds) || ', needs ' || cci_count($short_thirds // 3) || ' for A3'
    FROM cci_evidence
    UNION ALL
    SELECT student_id, 'A4', 'A4', regular_diploma, ag_met, 1, false, NULL, 'a-g not met for A4'
    FROM cci_evidence
    UNION ALL
    SELECT student_id, 'A5', 'A5', regular_diploma, lms_done, 1, false, NULL,
           cci_plural(lms_years, 'year') || ' of leadership / military science, needs ' || cci_count($lms_years) || ' for A5'
    FROM cci_evidence
    UNION ALL
    SELECT student_id, 'A6', 'A6', regular_diploma, list_has_any(awards, $a6_awards), 1, false, NULL,
           'no ' || array_to_string(list_transform($a6_awards, lambda a: cci_award(a)), ' or ') || ' for A6'
    FROM cci_evidence
    UNION ALL
    SELECT student_id, 'A7', 'A7', regular_diploma OR ($a7_alternative_diploma AND alternative_diploma),
           (swd OR ($a7_alternative_diploma AND alternative_diploma)) AND list_has_all(awards, $a7_awards), 1, false, NULL,
           CASE WHEN swd OR ($a7_alternative_diploma AND alternative_diploma)
                THEN 'needs ' || array_to_string(list_transform($a7_awards, lambda a: cci_award(a)), ' and ')
                ELSE 'only for students with an IEP' END || ' for A7'
    FROM cci_evidence
    UNION ALL
    SELECT student_id, 'A8', 'A8', regular_diploma, ap_courses >= $a8_courses, 1, false, NULL,
           cci_plural(ap_courses, 'AP course') || ' with C- or better, needs ' || cci_count($a8_courses) || ' for A8'
    FROM cci_evidence
)
SELECT student_id,
       measure,
       list_position($measure_order, measure) AS ordinal,
       CASE WHEN list_contains($prepared_measures, measure) THEN 'Prepared' ELSE 'Approaching Prepared' END AS tier,
       evidence AND counts AS met,
       rule,
       gap,
       started,
       requirement,
       missing
FROM measure
WHERE list_contains($enabled, measure)
