-- The words of each CCI measure: what a student still needs. Each block, headed `-- <measure>.<part>`,
-- is ONE DuckDB SQL expression over a row of cci_measure_wide (measures_wide.sql: the evidence
-- columns; the rule set's values as bound parameters; wording macros from macros.sql):
--   requirement  the one missing requirement when gap = 1 (near-miss groups; Prepared tier)
--   missing      what is missing, in words
--   rule         the rule that met the measure, when it is not the measure itself
--   closable     (default true) whether the requirements missing can still be met: for seniors,
--                an SBAC level is final once the subject was tested in grade 11 (sbac_reachable)
--   diploma      (default regular_diploma) whether the student's diploma lets the measure count
-- Written once here: the engine (engine.measure_words) puts them in the per-measure rows
-- (cci_measure) and, only for the students whose result shows them, in the per-student `missing`.
-- Text is put together with concat() (see macros.sql): twice as fast as chains of ||.

-- P1.requirement
CASE WHEN NOT cte_done THEN 'CTE pathway completion'
     WHEN mixed_reachable THEN concat('mixed SBAC or ', cci_college_needed($short_thirds, college_unit, mixed_calendar))
     ELSE cci_college_needed($short_thirds, college_unit, mixed_calendar) END
-- P1.missing
CASE WHEN NOT cte_done AND NOT (sbac_mixed OR cte_college)
          THEN concat('no CTE pathway completion, and needs mixed SBAC or ',
                      cci_college_needed($short_thirds, college_unit, mixed_calendar), ' for P1')
     WHEN NOT cte_done THEN 'needs a CTE pathway completion for P1'
     WHEN college_short
          THEN 'CTE pathway completed; its college credit is in the capstone''s pathway and year, '
               'needs mixed SBAC or college credit in another pathway or year for P1'
     ELSE concat('CTE pathway completed; ', cci_score('ELA', ela), ', ', cci_score('math', math), ' and ',
                 cci_terms(college_thirds, college_unit, mixed_calendar), ', needs mixed SBAC or ',
                 cci_college_needed($short_thirds, college_unit, mixed_calendar), ' for P1')
END

-- P2.requirement
concat(CASE WHEN ela_prepared THEN 'SBAC math level '
            WHEN math >= $sbac_prepared THEN 'SBAC ELA level '
            ELSE 'SBAC ELA and math level ' END, $sbac_prepared)
-- P2.missing
concat(CASE WHEN ela_prepared THEN concat(cci_score('math', math), ', needs ')
            WHEN math >= $sbac_prepared THEN concat(cci_score('ELA', ela), ', needs ')
            ELSE concat(cci_score('ELA', ela), ' and ', cci_score('math', math), ', need ') END,
       $sbac_prepared, ' for P2')
-- P2.closable
prepared_reachable

-- P3.requirement
'more college credit'
-- P3.missing
concat(cci_terms(college_thirds, college_unit, mixed_calendar), ', needs ',
       cci_count(cci_terms_needed($full_thirds, college_unit, mixed_calendar)), ' for P3')

-- P4.rule
p4_rule
-- P4.requirement
concat('another AP exam ≥ ', $ap_min, CASE WHEN $p4_ap_courses THEN ' or AP course' ELSE '' END)
-- P4.missing
concat(cci_plural(ap_exams, 'AP exam'), ' ≥ ', $ap_min,
       CASE WHEN $p4_ap_courses THEN concat(' and ', cci_plural(ap_courses, 'AP course'), ' with C- or better')
            ELSE '' END,
       ', needs ', cci_count($exams_needed), ' for P4')

-- P5.requirement
concat('another IB exam ≥ ', $ib_min)
-- P5.missing
concat(cci_plural(ib_exams, 'IB exam'), ' ≥ ', $ib_min, ', needs ', cci_count($exams_needed), ' for P5')

-- P6.requirement
CASE WHEN ag_met THEN 'CTE completion, mixed SBAC, college semester, AP or IB exam'
     ELSE 'a-g requirements' END
-- P6.missing
CASE WHEN NOT ag_met AND NOT p6_extra
          THEN 'a-g not met, and none of CTE pathway completion, mixed SBAC, one college semester, '
               'an AP or IB exam for P6'
     WHEN NOT ag_met THEN 'a-g not met for P6'
     ELSE concat('a-g met; needs one of CTE pathway completion, mixed SBAC, one college semester, ',
                 'one AP exam ≥ ', $ap_min, ' or one IB exam ≥ ', $ib_min, ' for P6')
END

-- P7.requirement
CASE WHEN seal THEN concat('SBAC ELA level ', $sbac_prepared) ELSE 'State Seal of Biliteracy' END
-- P7.missing
concat(CASE WHEN NOT seal AND NOT ela_prepared
                 THEN concat('no State Seal of Biliteracy, and ', cci_score('ELA', ela), ', needs ', $sbac_prepared)
            WHEN NOT seal THEN 'no State Seal of Biliteracy'
            ELSE concat('State Seal of Biliteracy; ', cci_score('ELA', ela), ', needs ', $sbac_prepared) END,
       ' for P7')
-- P7.closable
ela_reachable

-- P8.requirement
CASE WHEN lms_done THEN 'mixed SBAC'
     ELSE concat(cci_count($lms_years), ' years of leadership / military science') END
-- P8.missing
concat(concat_ws('; ',
           CASE WHEN NOT lms_done
                THEN concat(cci_plural(lms_years, 'year'), ' of leadership / military science, needs ',
                            cci_count($lms_years)) END,
           CASE WHEN NOT sbac_mixed
                THEN concat(cci_score('ELA', ela), ' and ', cci_score('math', math), ', needs mixed SBAC') END),
       ' for P8')
-- P8.closable
mixed_reachable

-- P9.requirement
'registered pre-apprenticeship'
-- P9.missing
'no registered pre-apprenticeship for P9'

-- P10.requirement
'state or federal job program'
-- P10.missing
concat('no ', array_to_string(list_transform($p10_wbl, lambda a: $wbl_names[list_position($wbl_codes, a)]), ' or '),
       ' for P10')

-- P11.requirement
$wbl_names[list_position($wbl_codes, list_filter($p11_wbl, lambda a: NOT cci_holds_any(wbl, [a]))[1])]
-- P11.missing
concat('no ', array_to_string(list_transform(list_filter($p11_wbl, lambda a: NOT cci_holds_any(wbl, [a])),
                                             lambda a: $wbl_names[list_position($wbl_codes, a)]), ' or '),
       ' for P11')

-- A1.requirement
NULL
-- A1.missing
'no CTE pathway completion for A1'

-- A2.requirement
NULL
-- A2.missing
concat(cci_score('ELA', ela), ' and ', cci_score('math', math), ', need ', $sbac_approaching, ' for A2')

-- A3.requirement
NULL
-- A3.missing
concat(cci_terms(college_thirds, college_unit, mixed_calendar), ', needs ',
       cci_count(cci_terms_needed($short_thirds, college_unit, mixed_calendar)), ' for A3')

-- A4.requirement
NULL
-- A4.missing
'a-g not met for A4'

-- A5.requirement
NULL
-- A5.missing
concat(cci_plural(lms_years, 'year'), ' of leadership / military science, needs ', cci_count($lms_years), ' for A5')

-- A6.requirement
NULL
-- A6.missing
concat('no ', array_to_string(list_transform($a6_wbl, lambda a: $wbl_names[list_position($wbl_codes, a)])
                              || list_transform($a6_awards, lambda a: cci_award(a)), ' or '), ' for A6')

-- A7.requirement
NULL
-- A7.missing
concat(CASE WHEN swd OR ($a7_alternative_diploma AND alternative_diploma)
                 THEN concat('needs ', array_to_string(list_transform($a7_wbl,
                                                                      lambda a: $wbl_names[list_position($wbl_codes, a)]), ' and '))
            ELSE 'only for students with an IEP' END,
       ' for A7')

-- A7.diploma
regular_diploma OR ($a7_alternative_diploma AND alternative_diploma)

-- A8.requirement
NULL
-- A8.missing
concat(cci_plural(ap_courses, 'AP course'), ' with C- or better, needs ', cci_count($a8_courses), ' for A8')

-- A9.requirement
NULL
-- A9.missing
concat('no ', array_to_string(list_transform($p11_wbl, lambda a: $wbl_names[list_position($wbl_codes, a)]), ' or '),
       ' for A9')
