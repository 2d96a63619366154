-- Every measure for every student of cci_evidence in ONE row per student (the CTE cci_measure_wide):
-- the evidence columns, p4_rule (the rule that meets P4: P4_AP_COURSES when AP courses were
-- needed; every other measure's rule is the measure) and one column per measure (P1..A8,
-- enabled or not), a struct of
--   met      its rule holds and a diploma lets it count (regular; A7 in 2025 also alternative)
--   gap      requirements still missing; started: some evidence toward the measure exists
-- Numbers only, so that per-student results need no row per measure; the words are in measures.sql.
SELECT *,
       CASE WHEN ap_exams >= $exams_needed THEN 'P4' ELSE 'P4_AP_COURSES' END AS p4_rule,
       {'met': cte_done AND (sbac_mixed OR cte_college) AND regular_diploma,
         'gap': (NOT cte_done)::BIGINT + (NOT (sbac_mixed OR cte_college))::BIGINT,
         'started': cte_done OR sbac_mixed OR cte_college} AS P1,
       {'met': sbac_prepared AND regular_diploma,
         'gap': (NOT ela_prepared)::BIGINT + (NOT coalesce(math >= $sbac_prepared, false))::BIGINT,
         'started': ela IS NOT NULL OR math IS NOT NULL} AS P2,
       {'met': college_full AND regular_diploma, 'gap': 1::BIGINT,
         'started': college_thirds > 0} AS P3,
       {'met': ap_count >= $exams_needed AND regular_diploma,
         'gap': greatest($exams_needed - ap_count, 0)::BIGINT, 'started': ap_count > 0} AS P4,
       {'met': ib_exams >= $exams_needed AND regular_diploma,
         'gap': greatest($exams_needed - ib_exams, 0)::BIGINT, 'started': ib_exams > 0} AS P5,
       {'met': ag_met AND p6_extra AND regular_diploma,
         'gap': (NOT ag_met)::BIGINT + (NOT p6_extra)::BIGINT, 'started': ag_met OR p6_extra} AS P6,
       {'met': seal AND ela_prepared AND regular_diploma,
         'gap': (NOT seal)::BIGINT + (NOT ela_prepared)::BIGINT, 'started': seal OR ela_prepared} AS P7,
       {'met': lms_done AND sbac_mixed AND regular_diploma,
         'gap': (NOT lms_done)::BIGINT + (NOT sbac_mixed)::BIGINT, 'started': lms_years > 0 OR sbac_mixed} AS P8,
       {'met': list_contains(awards, 'PRE_APPRENTICESHIP') AND regular_diploma,
         'gap': 1::BIGINT, 'started': false} AS P9,
       {'met': list_has_any(awards, $p10_awards) AND regular_diploma,
         'gap': 1::BIGINT, 'started': false} AS P10,
       {'met': len(p11_missing) = 0 AND regular_diploma,
         'gap': len(p11_missing)::BIGINT, 'started': len(p11_missing) < len($p11_awards)} AS P11,
       {'met': cte_done AND regular_diploma, 'gap': 1::BIGINT, 'started': false} AS A1,
       {'met': sbac_approaching AND regular_diploma, 'gap': 1::BIGINT, 'started': false} AS A2,
       {'met': college_short AND regular_diploma, 'gap': 1::BIGINT, 'started': false} AS A3,
       {'met': ag_met AND regular_diploma, 'gap': 1::BIGINT, 'started': false} AS A4,
       {'met': lms_done AND regular_diploma, 'gap': 1::BIGINT, 'started': false} AS A5,
       {'met': list_has_any(awards, $a6_awards) AND regular_diploma,
         'gap': 1::BIGINT, 'started': false} AS A6,
       {'met': (swd OR ($a7_alternative_diploma AND alternative_diploma)) AND list_has_all(awards, $a7_awards)
         AND (regular_diploma OR ($a7_alternative_diploma AND alternative_diploma)),
         'gap': 1::BIGINT, 'started': false} AS A7,
       {'met': ap_courses >= $a8_courses AND regular_diploma,
         'gap': 1::BIGINT, 'started': false} AS A8
FROM (SELECT *, list_filter($p11_awards, lambda a: NOT list_contains(awards, a)) AS p11_missing FROM cci_evidence)
