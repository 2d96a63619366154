-- ilsca_finding: pre-flight findings over ilsca_record / ilsca_scheduled, one row per problem,
-- never changing the file. Stored in list order: the checks' order (preflight.toml), then
-- student, course, section, term (blanks first), field, value; a plain scan keeps it.
-- $school (when not null) keeps one serving school's rows: a principal's preview.
CREATE OR REPLACE TEMP TABLE ilsca_finding AS
WITH r AS NOT MATERIALIZED (  -- each check scans the table itself: no copy of 2 M rows
    SELECT * FROM ilsca_record WHERE $school::VARCHAR IS NULL OR school_id = $school::VARCHAR
), k AS NOT MATERIALIZED (
    SELECT * FROM ilsca_scheduled WHERE $school::VARCHAR IS NULL OR school_id = $school::VARCHAR
), rcdts AS (
    SELECT 'Home RCDTS' AS field, home_rcdts AS value, min(sap_id) AS student_id, count(*) AS n
    FROM r GROUP BY home_rcdts
    UNION ALL
    SELECT 'Serving School RCDTS', serving_rcdts, min(sap_id), count(*)
    FROM r GROUP BY serving_rcdts
), code AS (
    SELECT DISTINCT state_course_code, local_course_id FROM r
), checks AS (
    SELECT unnest($check_names) AS "check", unnest($check_problems) AS problem,
           generate_subscripts($check_names, 1) AS position
), found AS (  -- every check's rows (the UNION ALL below), then ordered and titled
SELECT 'sending_rcdts' AS "check", NULL AS student_id, NULL AS section_number, NULL AS local_course_id,
       NULL AS term, 'Sending RCDTS' AS field, $sending_rcdts::VARCHAR AS value
WHERE $sending_rcdts::VARCHAR IS NULL OR NOT regexp_full_match($sending_rcdts::VARCHAR, $rcdts_pattern)
UNION ALL
SELECT 'rcdts', NULL, NULL, NULL, NULL, field, coalesce(value, '(blank)') || ' on ' || n || ' rows'
FROM rcdts
WHERE value IS NULL OR NOT regexp_full_match(value, $rcdts_pattern) OR right(value, 4) = '0000'
UNION ALL
SELECT 'student_id_missing', sap_id, NULL, NULL, NULL, 'Student ID', count(*) || ' rows'
FROM r WHERE student_state_id IS NULL GROUP BY sap_id
UNION ALL
SELECT 'student_id_width', sap_id, NULL, NULL, NULL, 'Student ID', student_state_id
FROM r WHERE NOT regexp_full_match(student_state_id, $student_id_pattern) GROUP BY sap_id, student_state_id
UNION ALL
SELECT 'credit_range', sap_id, section_number, local_course_id, term, 'Course Credit', course_credit
FROM r WHERE course_credit::DECIMAL(9,3) NOT BETWEEN $credit_min::DECIMAL(9,3) AND $credit_max::DECIMAL(9,3)
UNION ALL
SELECT 'start_outside_enrollment', r.sap_id, r.section_number, r.local_course_id, r.term,
       'Student Course Start Date', r.course_start_date
FROM r
WHERE NOT EXISTS (SELECT 1 FROM enrollment AS e
                  WHERE e.student_id = r.sap_id AND e.start_date <= r.course_start
                    AND (e.end_date IS NULL OR e.end_date >= r.course_start))
UNION ALL
SELECT 'duplicate', min(sap_id), section_number, min(local_course_id), term, 'State Course Code',
       state_course_code || ' x' || count(*)
FROM r
GROUP BY coalesce(student_state_id, sap_id), state_course_code, section_number, term
HAVING count(*) > 1
UNION ALL
SELECT 'course_code_shape', NULL, NULL, local_course_id, NULL, 'State Course Code', state_course_code
FROM code WHERE NOT regexp_full_match(state_course_code, $course_code_pattern)
UNION ALL
SELECT 'course_code_not_listed', NULL, NULL, local_course_id, NULL, 'State Course Code', state_course_code
FROM code
WHERE EXISTS (SELECT 1 FROM state_course)
  AND state_course_code NOT IN (SELECT trim(state_course_code) FROM state_course)
UNION ALL
SELECT DISTINCT 'name_characters', sap_id, NULL, NULL, NULL, f.field, f.value
FROM (SELECT DISTINCT sap_id, last_name, first_name FROM r) AS n,  -- names once per student
     LATERAL (VALUES ('Last Name', last_name), ('First Name', first_name)) AS f(field, value)
WHERE NOT regexp_full_match(coalesce(f.value, ''), $name_pattern)
UNION ALL
SELECT 'not_reported', student_id, section_id, course_id, NULL, 'why',
       concat_ws('; ', CASE WHEN no_state_id THEN $reason_no_state_id END,
                       CASE WHEN no_state_code THEN $reason_no_state_code END,
                       CASE WHEN state_excluded THEN $reason_state_excluded END,
                       CASE WHEN dual_credit THEN $reason_dual_credit END,
                       CASE WHEN no_state_task THEN $reason_no_state_task END,
                       CASE WHEN no_posted_grade AND NOT no_state_task THEN $reason_no_posted_grade END)
FROM k
WHERE no_state_code OR state_excluded OR dual_credit OR no_state_task OR no_posted_grade OR no_state_id
)
SELECT f."check", c.problem, f.student_id, f.section_number, f.local_course_id, f.term, f.field, f.value
FROM found AS f
JOIN checks AS c USING ("check")
ORDER BY c.position, f.student_id NULLS FIRST, f.local_course_id NULLS FIRST, f.section_number NULLS FIRST,
         f.term NULLS FIRST, f.field NULLS FIRST, f.value NULLS FIRST;
