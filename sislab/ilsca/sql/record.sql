-- ilsca_record: each record of ilsca_row as the file's fields, as written and cut to their
-- widths (by the tables they come from: ilsca_student, ilsca_course, ilsca_school,
-- ilsca_school_year, ilsca_row), plus helpers: the serving school (one school's preview) and
-- `line`, the record's place in the file. A view: the fields are put together as they are
-- written, never stored. Joins do not keep order: read it ORDER BY line.
CREATE OR REPLACE TEMP VIEW ilsca_record AS
SELECT
    st.student_state_id,
    r.student_id AS sap_id,
    st.last_name,
    st.first_name,
    st.birth_date,
    coalesce(r.home_rcdts_override, home_school.home_rcdts) AS home_rcdts,
    coalesce(r.serving_rcdts_override, serving.serving_rcdts) AS serving_rcdts,
    y.school_year,
    r.term,
    c.state_course_code,
    c.course_id AS local_course_id,
    c.local_course_title,
    r.course_start_date,
    r.section_id AS section_number,
    c.course_level,
    r.course_credit,
    c.articulated_credit,
    c.dual_credit,
    c.course_setting,
    NULL::VARCHAR AS actual_attendance,
    NULL::VARCHAR AS total_attendance,
    r.single_parent,
    r.displaced_homemaker,
    NULL::VARCHAR AS course_numeric_grade,
    NULL::VARCHAR AS maximum_numeric_grade,
    NULL::VARCHAR AS course_end_date,
    NULL::VARCHAR AS course_final_grade,
    c.language_code,
    c.competency_based,
    r.school_id, r.rowid AS line
FROM ilsca_row AS r
JOIN ilsca_student AS st ON st.student_id = r.student_id
JOIN ilsca_course AS c ON c.course_id = r.course_id
LEFT JOIN ilsca_school_year AS y ON y.calendar_id = r.calendar_id  -- LEFT: every row of ilsca_row is a record
LEFT JOIN ilsca_school AS serving ON serving.school_id = r.school_id
LEFT JOIN ilsca_school AS home_school ON home_school.school_id = r.home_school_id;
