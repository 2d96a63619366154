-- Every measure for every student of cci_evidence in ONE row per student (the CTE cci_measure_wide):
-- the evidence columns; the rule set's thresholds applied to them (sbac_mixed, college_short, ...:
-- computed here, cheaper than storing them with the evidence); p4_rule (the rule that meets P4:
-- P4_AP_COURSES when AP courses were needed; every other measure's rule is the measure); and
-- three plain columns per measure (P1..A9, enabled or not; their order is engine.MEASURES):
--   <m>_met      its rule holds and a diploma lets it count (regular; A7 in 2025 also alternative)
--   <m>_gap      requirements still missing;  <m>_started: some evidence toward the measure exists
-- Numbers only, never NULL, so that per-student results need no row per measure and no struct;
-- the words are in measure_words.sql.
SELECT *,
       CASE WHEN ap_exams >= $exams_needed THEN 'P4' ELSE 'P4_AP_COURSES' END AS p4_rule,
       cte_done AND (sbac_mixed OR cte_college) AND regular_diploma AS P1_met,
       (NOT cte_done)::INTEGER + (NOT (sbac_mixed OR cte_college))::INTEGER AS P1_gap,
       cte_done OR sbac_mixed OR cte_college AS P1_started,
       sbac_prepared AND regular_diploma AS P2_met,
       (NOT ela_prepared)::INTEGER + (NOT coalesce(math >= $sbac_prepared, false))::INTEGER AS P2_gap,
       ela IS NOT NULL OR math IS NOT NULL AS P2_started,
       college_full AND regular_diploma AS P3_met, 1 AS P3_gap, college_thirds > 0 AS P3_started,
       ap_count >= $exams_needed AND regular_diploma AS P4_met,
       greatest($exams_needed - ap_count, 0)::INTEGER AS P4_gap, ap_count > 0 AS P4_started,
       ib_exams >= $exams_needed AND regular_diploma AS P5_met,
       greatest($exams_needed - ib_exams, 0)::INTEGER AS P5_gap, ib_exams > 0 AS P5_started,
       ag_met AND p6_extra AND regular_diploma AS P6_met,
       (NOT ag_met)::INTEGER + (NOT p6_extra)::INTEGER AS P6_gap, ag_met OR p6_extra AS P6_started,
       seal AND ela_prepared AND regular_diploma AS P7_met,
       (NOT seal)::INTEGER + (NOT ela_prepared)::INTEGER AS P7_gap, seal OR ela_prepared AS P7_started,
       lms_done AND sbac_mixed AND regular_diploma AS P8_met,
       (NOT lms_done)::INTEGER + (NOT sbac_mixed)::INTEGER AS P8_gap, lms_years > 0 OR sbac_mixed AS P8_started,
       cci_holds_any(wbl, $p9_wbl) AND regular_diploma AS P9_met, 1 AS P9_gap, false AS P9_started,
       cci_holds_any(wbl, $p10_wbl) AND regular_diploma AS P10_met, 1 AS P10_gap, false AS P10_started,
       p11_held = len($p11_wbl) AND regular_diploma AS P11_met,
       (len($p11_wbl) - p11_held)::INTEGER AS P11_gap, p11_held > 0 AS P11_started,
       cte_done AND regular_diploma AS A1_met, 1 AS A1_gap, false AS A1_started,
       sbac_approaching AND regular_diploma AS A2_met, 1 AS A2_gap, false AS A2_started,
       college_short AND regular_diploma AS A3_met, 1 AS A3_gap, false AS A3_started,
       ag_met AND regular_diploma AS A4_met, 1 AS A4_gap, false AS A4_started,
       lms_done AND regular_diploma AS A5_met, 1 AS A5_gap, false AS A5_started,
       (cci_holds_any(wbl, $a6_wbl) OR cci_holds_any(awards, $a6_awards)) AND regular_diploma AS A6_met, 1 AS A6_gap, false AS A6_started,
       (swd OR ($a7_alternative_diploma AND alternative_diploma)) AND cci_holds_all(wbl, $a7_wbl)
           AND (regular_diploma OR ($a7_alternative_diploma AND alternative_diploma)) AS A7_met,
       1 AS A7_gap, false AS A7_started,
       ap_courses >= $a8_courses AND regular_diploma AS A8_met, 1 AS A8_gap, false AS A8_started,
       p11_held > 0 AND regular_diploma AS A9_met, 1 AS A9_gap, false AS A9_started
FROM (SELECT *, cte_done OR sbac_mixed OR college_short OR ap_exams > 0 OR ib_exams > 0 AS p6_extra  -- P6's "plus"
      FROM (SELECT *,
                   coalesce(ela >= $sbac_prepared AND math >= $sbac_prepared, false) AS sbac_prepared,
                   coalesce(ela >= $sbac_approaching AND math >= $sbac_approaching, false) AS sbac_approaching,
                   coalesce((ela >= $sbac_prepared AND math >= $sbac_approaching)
                            OR (math >= $sbac_prepared AND ela >= $sbac_approaching), false) AS sbac_mixed,
                   college_thirds >= $short_thirds AS college_short,
                   coalesce(cte_other_thirds >= $short_thirds, false) AS cte_college,
                   college_thirds >= $full_thirds AS college_full,
                   coalesce(ela >= $sbac_prepared, false) AS ela_prepared,
                   -- seniors: a subject not yet tested in grade 11 may still reach any level (4);
                   -- for graduates nothing is reachable any more, nor is anything taken away
                   NOT seniors OR coalesce(ela, 4) >= $sbac_prepared AS ela_reachable,
                   NOT seniors OR (coalesce(ela, 4) >= $sbac_prepared AND coalesce(math, 4) >= $sbac_prepared)
                       AS prepared_reachable,
                   NOT seniors OR (coalesce(ela, 4) >= $sbac_prepared AND coalesce(math, 4) >= $sbac_approaching)
                       OR (coalesce(math, 4) >= $sbac_prepared AND coalesce(ela, 4) >= $sbac_approaching)
                       AS mixed_reachable,
                   ap_exams + CASE WHEN $p4_ap_courses THEN ap_courses ELSE 0 END AS ap_count,
                   cci_holds_any(awards, ['SEAL_OF_BILITERACY']) AS seal,
                   lms_years >= $lms_years AS lms_done,
                   CASE WHEN wbl IS NULL THEN 0 ELSE len(list_intersect($p11_wbl, wbl)) END AS p11_held  -- no lambda per row
            FROM cci_evidence))
