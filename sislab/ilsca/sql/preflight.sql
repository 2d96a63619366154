-- ilsca_finding: pre-flight findings over the built extract, one row per problem, never
-- changing the file. Stored in list order: the checks' order (preflight.toml), then student,
-- course, section, term (blanks first), field, value; a plain scan keeps it. Sorted on the
-- integer keys (student_key, then section_key: ranked by id, by course then section), which
-- order as the ids do; a check's findings all have a section or none.
-- Reads the narrow records (ilsca_row) and checks each fact where it lives: names and state
-- ids once per student (ilsca_student), course codes once per course, RCDTS once per school;
-- only credit, start date and duplicates look at records (start dates are checked once per
-- reporting student-section, ilsca_scheduled). Values are the fields as written
-- before the cut to width (as ISBE's messages name them).
-- $school (when not null) keeps one serving school's rows: a principal's preview.
CREATE OR REPLACE TEMP TABLE ilsca_finding AS
WITH r AS NOT MATERIALIZED (  -- each check scans the table itself: no copy of 2 M rows
    SELECT * FROM ilsca_row
    WHERE $school::VARCHAR IS NULL
       OR school_key = (SELECT school_key FROM ilsca_school WHERE school_id = $school::VARCHAR)
), k AS NOT MATERIALIZED (
    SELECT * FROM ilsca_scheduled
    WHERE $school::VARCHAR IS NULL
       OR section_key IN (SELECT section_key FROM ilsca_section WHERE school_id = $school::VARCHAR)
), students AS (  -- the students on the records, with their number of records
    SELECT st.*, n.records
    FROM (SELECT student_key, count(*) AS records FROM r GROUP BY student_key) AS n
    JOIN ilsca_student AS st USING (student_key)
), person AS (  -- whom ISBE sees: the state id, else the local one; shared by several students?
    SELECT student_key, student_id, person, person IN (SELECT coalesce(state_id, student_id) FROM students
                                                       GROUP BY ALL HAVING count(*) > 1) AS shared
    FROM (SELECT student_key, student_id, coalesce(state_id, student_id) AS person FROM students)
), names AS (  -- each student's names as ISBE reads them, one row per name (a UNION, not a LATERAL
    -- VALUES, which is planned as a join back to the students on the names)
    SELECT student_key, student_id, 'Last Name' AS field, full_last_name AS value FROM students
    UNION ALL
    SELECT student_key, student_id, 'First Name', full_first_name FROM students
), sections AS (  -- the sections on the records, with their number of records
    SELECT s.*, n.records
    FROM (SELECT section_key, count(*) AS records FROM r GROUP BY section_key) AS n
    JOIN ilsca_section AS s USING (section_key)
), schools AS (  -- records per home / serving school and override, then per RCDTS as written
    SELECT 'Home RCDTS' AS field, home_school_key AS school_key, home_rcdts_override AS override, count(*) AS n
    FROM r GROUP BY ALL
    UNION ALL
    SELECT 'Serving School RCDTS', school_key, serving_rcdts_override, count(*) FROM r GROUP BY ALL
), rcdts AS (
    SELECT s.field, coalesce(s.override, nullif(sc.rcdts, '')) AS value, sum(s.n)::BIGINT AS n
    FROM schools AS s JOIN ilsca_school AS keyed USING (school_key) LEFT JOIN school AS sc USING (school_id)
    GROUP BY ALL
), code AS (
    SELECT DISTINCT state_course_code, course_id AS local_course_id FROM sections
), level AS (  -- courses on the records whose Course Level prints blank, with their raw level
    SELECT s.course_id, nullif(trim(src.course_level), '') AS stored, sum(s.records)::BIGINT AS n
    FROM sections AS s JOIN course AS src USING (course_id)
    WHERE s.course_level IS NULL
    GROUP BY ALL
), outside AS (  -- course start dates outside every enrollment of the student, once per date
    SELECT u.student_key, u.course_start  -- (a record's start is its student-section's: look at those, not the records)
    FROM (SELECT DISTINCT student_key, course_start FROM k WHERE reports) AS u
    JOIN ilsca_student AS st USING (student_key)
    WHERE NOT EXISTS (SELECT 1 FROM enrollment AS e
                      WHERE e.student_id = st.student_id AND e.start_date <= u.course_start
                        AND (e.end_date IS NULL OR e.end_date >= u.course_start))
), checks AS (
    SELECT unnest($check_names) AS "check", generate_subscripts($check_names, 1) AS position
), found AS (  -- every check's rows (the UNION ALL below), then ordered and titled
SELECT 'calendar_empty' AS "check", NULL::INTEGER AS student_key, NULL::INTEGER AS section_key,
       NULL AS student_id, NULL AS section_number, NULL AS local_course_id, NULL AS term, 'Calendar' AS field,
       calendar_id AS value
FROM ilsca_chosen
WHERE NOT enrolled
  AND ($school::VARCHAR IS NULL OR calendar_id IN (SELECT calendar_id FROM calendar WHERE school_id = $school::VARCHAR))
UNION ALL
SELECT 'sending_rcdts', NULL, NULL, NULL, NULL, NULL, NULL, 'Sending RCDTS', coalesce($sending_rcdts::VARCHAR, '(blank)')
WHERE $sending_rcdts::VARCHAR IS NULL OR NOT regexp_full_match($sending_rcdts::VARCHAR, $rcdts_pattern)
UNION ALL
SELECT 'rcdts', NULL, NULL, NULL, NULL, NULL, NULL, field, coalesce(value, '(blank)') || ' on ' || n || ' rows'
FROM rcdts
WHERE value IS NULL OR NOT regexp_full_match(value, $rcdts_pattern) OR right(value, 4) = '0000'
UNION ALL
SELECT 'student_id_missing', student_key, NULL, student_id, NULL, NULL, NULL, 'Student ID', records || ' rows'
FROM students WHERE state_id IS NULL
UNION ALL
SELECT 'student_id_width', student_key, NULL, student_id, NULL, NULL, NULL, 'Student ID', state_id
FROM students WHERE NOT regexp_full_match(state_id, $student_id_pattern)
UNION ALL
SELECT 'credit_range', r.student_key, r.section_key, st.student_id, s.section_id, s.course_id, r.state_term, 'Course Credit', r.course_credit::VARCHAR
FROM r JOIN ilsca_student AS st USING (student_key) JOIN ilsca_section AS s USING (section_key)
WHERE r.course_credit::VARCHAR::DECIMAL(9,3) NOT BETWEEN $credit_min::DECIMAL(9,3) AND $credit_max::DECIMAL(9,3)
UNION ALL
SELECT 'start_outside_enrollment', r.student_key, r.section_key, st.student_id, s.section_id, s.course_id, r.state_term,
       'Student Course Start Date', strftime(r.course_start, '%m/%d/%Y')
FROM r
JOIN outside AS o ON o.student_key = r.student_key AND o.course_start IS NOT DISTINCT FROM r.course_start
JOIN ilsca_student AS st ON st.student_key = r.student_key
JOIN ilsca_section AS s USING (section_key)
UNION ALL
SELECT 'duplicate', min(p.student_key), s.section_key, min(p.student_id), s.section_id, min(s.course_id), d.state_term, 'State Course Code',
       s.state_course_code || ' x' || sum(d.n)::BIGINT
FROM (SELECT student_key, section_key, state_term, count(*) AS n FROM r  -- only records that can repeat
      WHERE may_repeat OR student_key IN (SELECT student_key FROM person WHERE shared)
      GROUP BY ALL) AS d
JOIN person AS p USING (student_key)
JOIN ilsca_section AS s USING (section_key)
WHERE d.n > 1 OR p.shared  -- any other (student, section, term) is alone in its group
GROUP BY p.person, s.state_course_code, s.section_key, s.section_id, d.state_term
HAVING sum(d.n) > 1
UNION ALL
SELECT 'course_code_shape', NULL, NULL, NULL, NULL, local_course_id, NULL, 'State Course Code', state_course_code
FROM code WHERE NOT regexp_full_match(state_course_code, $course_code_pattern)
UNION ALL
SELECT 'course_code_not_listed', NULL, NULL, NULL, NULL, local_course_id, NULL, 'State Course Code', state_course_code
FROM code
WHERE EXISTS (SELECT 1 FROM state_course)
  AND state_course_code NOT IN (SELECT trim(state_course_code) FROM state_course)
UNION ALL
SELECT 'course_level_blank', NULL, NULL, NULL, NULL, course_id, NULL, 'Course Level',
       coalesce(stored, '(none)') || ' on ' || n || ' rows'
FROM level
UNION ALL
SELECT 'name_characters', student_key, NULL, student_id, NULL, NULL, NULL, field, value
FROM names
WHERE NOT regexp_full_match(coalesce(value, ''), $name_pattern)
UNION ALL
SELECT 'formula_start', student_key, NULL, student_id, NULL, NULL, NULL, field, value
FROM names
WHERE list_contains($formula_start, left(value, 1))
UNION ALL
SELECT 'formula_start', NULL, NULL, NULL, NULL, course_id, NULL, 'Local Course Title', local_course_title
FROM (SELECT DISTINCT course_id, local_course_title FROM sections)
WHERE list_contains($formula_start, left(local_course_title, 1))
UNION ALL
SELECT 'not_reported', k.student_key, k.section_key, st.student_id, s.section_id, s.course_id, NULL, 'why',
       concat_ws('; ', CASE WHEN k.no_state_id THEN $reason_no_state_id END,
                       CASE WHEN k.no_state_code THEN $reason_no_state_code END,
                       CASE WHEN k.state_excluded THEN $reason_state_excluded END,
                       CASE WHEN k.dual_credit THEN $reason_dual_credit END,
                       CASE WHEN k.no_state_task THEN $reason_no_state_task END,
                       CASE WHEN k.no_posted_grade AND NOT k.no_state_task THEN $reason_no_posted_grade END)
FROM k JOIN ilsca_student AS st USING (student_key) JOIN ilsca_section AS s USING (section_key)
WHERE NOT k.reports
UNION ALL
SELECT 'not_reported', u.student_key, u.section_key, u.student_id, s.section_id, s.course_id, NULL, 'why', $reason_no_enrollment
FROM (SELECT *, (dense_rank() OVER (ORDER BY student_id) - 2147483647)::INTEGER AS student_key  -- before every
      FROM ilsca_unenrolled) AS u                                                            -- reporting student
JOIN ilsca_section AS s USING (section_key)
WHERE $school::VARCHAR IS NULL OR s.school_id = $school::VARCHAR
)
SELECT $check_names[position] AS "check", $check_problems[position] AS problem,  -- titled after the sort:
       student_id, section_number, local_course_id, term, field, value                -- not carried through it
FROM (SELECT * EXCLUDE (student_key, section_key, "check")
      FROM found JOIN checks USING ("check")
      ORDER BY position, student_key NULLS FIRST, section_key NULLS FIRST, local_course_id NULLS FIRST,
               term NULLS FIRST, field NULLS FIRST, value NULLS FIRST);
