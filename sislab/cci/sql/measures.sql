-- Every enabled measure for every student, one row each (the CTE cci_measure): the measure
-- columns of cci_measure_wide (measures_wide.sql) one below the other, with the words:
--   requirement  the one missing requirement when gap = 1 (near-miss groups, Prepared tier)
--   missing      what is missing, in words
-- A union rather than UNPIVOT: filters on the measure's numbers reach each branch, so the words
-- are built only for the rows a query keeps.
WITH measure AS (
    SELECT student_id, 'P1' AS measure, 'P1' AS rule, P1 AS m,
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
    FROM cci_measure_wide
    UNION ALL
    SELECT student_id, 'P2' AS measure, 'P2' AS rule, P2 AS m,
           CASE WHEN ela_prepared THEN 'SBAC math level ' || $sbac_prepared
                WHEN math >= $sbac_prepared THEN 'SBAC ELA level ' || $sbac_prepared
                ELSE 'SBAC ELA and math level ' || $sbac_prepared END AS requirement,
           CASE WHEN ela_prepared THEN cci_score('math', math) || ', needs ' || $sbac_prepared
                WHEN math >= $sbac_prepared THEN cci_score('ELA', ela) || ', needs ' || $sbac_prepared
                ELSE cci_score('ELA', ela) || ' and ' || cci_score('math', math) || ', need ' || $sbac_prepared
           END || ' for P2' AS missing
    FROM cci_measure_wide
    UNION ALL
    SELECT student_id, 'P3' AS measure, 'P3' AS rule, P3 AS m,
           'more college credit' AS requirement,
           cci_semesters(college_thirds) || ', needs ' || cci_count($full_thirds // 3) || ' for P3' AS missing
    FROM cci_measure_wide
    UNION ALL
    SELECT student_id, 'P4' AS measure, p4_rule AS rule, P4 AS m,
           'another AP exam ≥ ' || $ap_min || CASE WHEN $p4_ap_courses THEN ' or AP course' ELSE '' END AS requirement,
           cci_plural(ap_exams, 'AP exam') || ' ≥ ' || $ap_min
           || CASE WHEN $p4_ap_courses THEN ' and ' || cci_plural(ap_courses, 'AP course') || ' with C- or better'
                   ELSE '' END
           || ', needs ' || cci_count($exams_needed) || ' for P4' AS missing
    FROM cci_measure_wide
    UNION ALL
    SELECT student_id, 'P5' AS measure, 'P5' AS rule, P5 AS m,
           'another IB exam ≥ ' || $ib_min AS requirement,
           cci_plural(ib_exams, 'IB exam') || ' ≥ ' || $ib_min || ', needs ' || cci_count($exams_needed) || ' for P5' AS missing
    FROM cci_measure_wide
    UNION ALL
    SELECT student_id, 'P6' AS measure, 'P6' AS rule, P6 AS m,
           CASE WHEN ag_met THEN 'CTE completion, mixed SBAC, college semester, AP or IB exam'
                ELSE 'a-g requirements' END AS requirement,
           CASE WHEN NOT ag_met AND NOT p6_extra
                    THEN 'a-g not met, and none of CTE pathway completion, mixed SBAC, one college semester, '
                         || 'an AP or IB exam for P6'
                WHEN NOT ag_met THEN 'a-g not met for P6'
                ELSE 'a-g met; needs one of CTE pathway completion, mixed SBAC, one college semester, '
                     || 'one AP exam ≥ ' || $ap_min || ' or one IB exam ≥ ' || $ib_min || ' for P6'
           END AS missing
    FROM cci_measure_wide
    UNION ALL
    SELECT student_id, 'P7' AS measure, 'P7' AS rule, P7 AS m,
           CASE WHEN seal THEN 'SBAC ELA level ' || $sbac_prepared ELSE 'State Seal of Biliteracy' END AS requirement,
           CASE WHEN NOT seal AND NOT ela_prepared
                    THEN 'no State Seal of Biliteracy, and ' || cci_score('ELA', ela) || ', needs ' || $sbac_prepared
                WHEN NOT seal THEN 'no State Seal of Biliteracy'
                ELSE 'State Seal of Biliteracy; ' || cci_score('ELA', ela) || ', needs ' || $sbac_prepared
           END || ' for P7' AS missing
    FROM cci_measure_wide
    UNION ALL
    SELECT student_id, 'P8' AS measure, 'P8' AS rule, P8 AS m,
           CASE WHEN lms_done THEN 'mixed SBAC'
                ELSE cci_count($lms_years) || ' years of leadership / military science' END AS requirement,
           concat_ws('; ',
                     CASE WHEN NOT lms_done THEN cci_plural(lms_years, 'year')
                          || ' of leadership / military science, needs ' || cci_count($lms_years) END,
                     CASE WHEN NOT sbac_mixed THEN cci_score('ELA', ela) || ' and ' || cci_score('math', math)
                          || ', needs mixed SBAC' END) || ' for P8' AS missing
    FROM cci_measure_wide
    UNION ALL
    SELECT student_id, 'P9' AS measure, 'P9' AS rule, P9 AS m,
           'registered pre-apprenticeship' AS requirement,
           'no registered pre-apprenticeship for P9' AS missing
    FROM cci_measure_wide
    UNION ALL
    SELECT student_id, 'P10' AS measure, 'P10' AS rule, P10 AS m,
           'state or federal job program' AS requirement,
           'no state or federal job program for P10' AS missing
    FROM cci_measure_wide
    UNION ALL
    SELECT student_id, 'P11' AS measure, 'P11' AS rule, P11 AS m,
           cci_award(p11_missing[1]) AS requirement,
           'no ' || array_to_string(list_transform(p11_missing, lambda a: cci_award(a)), ' or ') || ' for P11' AS missing
    FROM cci_measure_wide
    UNION ALL
    SELECT student_id, 'A1' AS measure, 'A1' AS rule, A1 AS m,
           NULL AS requirement,
           'no CTE pathway completion for A1' AS missing
    FROM cci_measure_wide
    UNION ALL
    SELECT student_id, 'A2' AS measure, 'A2' AS rule, A2 AS m,
           NULL AS requirement,
           cci_score('ELA', ela) || ' and ' || cci_score('math', math) || ', need ' || $sbac_approaching || ' for A2' AS missing
    FROM cci_measure_wide
    UNION ALL
    SELECT student_id, 'A3' AS measure, 'A3' AS rule, A3 AS m,
           NULL AS requirement,
           cci_semesters(college_thirds) || ', needs ' || cci_count($short_thirds // 3) || ' for A3' AS missing
    FROM cci_measure_wide
    UNION ALL
    SELECT student_id, 'A4' AS measure, 'A4' AS rule, A4 AS m,
           NULL AS requirement,
           'a-g not met for A4' AS missing
    FROM cci_measure_wide
    UNION ALL
    SELECT student_id, 'A5' AS measure, 'A5' AS rule, A5 AS m,
           NULL AS requirement,
           cci_plural(lms_years, 'year') || ' of leadership / military science, needs '
                          || cci_count($lms_years) || ' for A5' AS missing
    FROM cci_measure_wide
    UNION ALL
    SELECT student_id, 'A6' AS measure, 'A6' AS rule, A6 AS m,
           NULL AS requirement,
           'no ' || array_to_string(list_transform($a6_awards, lambda a: cci_award(a)), ' or ') || ' for A6' AS missing
    FROM cci_measure_wide
    UNION ALL
    SELECT student_id, 'A7' AS measure, 'A7' AS rule, A7 AS m,
           NULL AS requirement,
           CASE WHEN swd OR ($a7_alternative_diploma AND alternative_diploma)
                               THEN 'needs ' || array_to_string(list_transform($a7_awards, lambda a: cci_award(a)), ' and ')
                ELSE 'only for students with an IEP' END || ' for A7' AS missing
    FROM cci_measure_wide
    UNION ALL
    SELECT student_id, 'A8' AS measure, 'A8' AS rule, A8 AS m,
           NULL AS requirement,
           cci_plural(ap_courses, 'AP course') || ' with C- or better, needs ' || cci_count($a8_courses) || ' for A8' AS missing
    FROM cci_measure_wide
)
SELECT student_id,
       measure,
       list_position($measure_order, measure) AS ordinal,
       CASE WHEN list_contains($prepared_measures, measure) THEN 'Prepared' ELSE 'Approaching Prepared' END AS tier,
       m.met,
       rule,
       m.gap,
       m.started,
       requirement,
       missing
FROM measure
WHERE list_contains($enabled, measure)
