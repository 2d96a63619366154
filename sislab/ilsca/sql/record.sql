-- ilsca_record: each row of ilsca_row as the file's fields (text as written; the writer
-- applies widths), plus helper columns for pre-flight and previews. Stored once, in file
-- order (school, student, course, section, term): pre-flight and the writers read it, and a
-- plain scan keeps that order.
CREATE OR REPLACE TEMP TABLE ilsca_record AS
WITH named AS (
    SELECT s.student_id, nullif(trim(s.state_id), '') AS state_id, s.birth_date,
           CASE WHEN $protected::BOOLEAN THEN coalesce(nullif(trim(s.protected_last_name), ''), s.last_name)
                ELSE s.last_name END AS last_name,
           CASE WHEN $protected::BOOLEAN THEN coalesce(nullif(trim(s.protected_first_name), ''), s.first_name)
                ELSE s.first_name END AS first_name
    FROM student AS s
)
SELECT
    n.state_id AS student_state_id,
    r.student_id AS sap_id,
    nullif(CASE WHEN $strip::BOOLEAN THEN translate(n.last_name, $fold_from, $fold_to) ELSE n.last_name END, '') AS last_name,
    nullif(CASE WHEN $strip::BOOLEAN THEN translate(n.first_name, $fold_from, $fold_to) ELSE n.first_name END, '')
        AS first_name,
    strftime(n.birth_date, '%m/%d/%Y') AS birth_date,
    nullif(home_school.rcdts, '') AS home_rcdts,
    nullif(serving.rcdts, '') AS serving_rcdts,
    cal.school_year::VARCHAR AS school_year,
    CASE WHEN cal.summer THEN $summer_term ELSE nullif(tm.state_term_code, '') END AS term,
    trim(c.state_course_code) AS state_course_code,
    c.course_id AS local_course_id,
    nullif(c.title, '') AS local_course_title,
    strftime(r.course_start, '%m/%d/%Y') AS course_start_date,
    r.section_id AS section_number,
    CASE WHEN list_contains($blank_levels, c.course_level) THEN NULL ELSE c.course_level END AS course_level,
    coalesce(printf('%.2f', r.credit::DOUBLE),
             CASE WHEN r.grade <= 8 THEN $credit_default_k8 ELSE $credit_default_912 END) AS course_credit,
    CASE WHEN c.articulated_credit THEN $yes ELSE $no END AS articulated_credit,
    CASE WHEN c.dual_credit THEN $yes ELSE $no END AS dual_credit,
    coalesce(c.course_setting, $default_setting) AS course_setting,
    NULL::VARCHAR AS actual_attendance,
    NULL::VARCHAR AS total_attendance,
    CASE WHEN r.single_parent THEN $yes ELSE $no END AS single_parent,
    CASE WHEN r.displaced_homemaker THEN $yes ELSE $no END AS displaced_homemaker,
    NULL::VARCHAR AS course_numeric_grade,
    NULL::VARCHAR AS maximum_numeric_grade,
    NULL::VARCHAR AS course_end_date,
    NULL::VARCHAR AS course_final_grade,
    coalesce(c.language_code, $no_language) AS language_code,
    CASE WHEN c.competency_based THEN $competency_yes ELSE $competency_no END AS competency_based,
    -- helpers (not written): the serving school (one school's preview), the start as a date
    -- (pre-flight). Only these: every column is carried through the sort and stored.
    r.school_id, r.course_start
FROM ilsca_row AS r
JOIN named AS n ON n.student_id = r.student_id
JOIN course AS c ON c.course_id = r.course_id
JOIN calendar AS cal ON cal.calendar_id = r.calendar_id
LEFT JOIN term AS tm ON tm.calendar_id = r.calendar_id AND tm.term_code = r.term_code
LEFT JOIN school AS serving ON serving.school_id = r.school_id
LEFT JOIN school AS home_school ON home_school.school_id = r.home_school_id
ORDER BY r.school_id, r.student_id, r.course_id, r.section_id, r.term_code, r.home_school_id,
         r.single_parent, r.displaced_homemaker;
