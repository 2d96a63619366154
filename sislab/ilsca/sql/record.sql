-- ilsca_record: each record of ilsca_row as the file's fields, as written and cut to their
-- widths (by the tables they come from: ilsca_student, ilsca_section, ilsca_school,
-- ilsca_row), joined on integer keys, plus helpers: the serving school (one school's preview)
-- and the keys of the file order. A view: the fields are put together as they are written,
-- never stored. Read it ORDER BY report.LINE_ORDER.
CREATE OR REPLACE TEMP VIEW ilsca_record AS
SELECT
    st.student_state_id,
    st.student_id AS sap_id,
    st.last_name,
    st.first_name,
    st.birth_date,
    coalesce(r.home_rcdts_override, home_school.home_rcdts) AS home_rcdts,
    coalesce(r.serving_rcdts_override, s.serving_rcdts) AS serving_rcdts,
    s.school_year,
    r.term,
    s.state_course_code,
    s.course_id AS local_course_id,
    s.local_course_title,
    r.course_start_date,
    s.section_id AS section_number,
    s.course_level,
    r.course_credit,
    s.articulated_credit,
    s.dual_credit,
    s.course_setting,
    NULL::VARCHAR AS actual_attendance,
    NULL::VARCHAR AS total_attendance,
    r.single_parent,
    r.displaced_homemaker,
    NULL::VARCHAR AS course_numeric_grade,
    NULL::VARCHAR AS maximum_numeric_grade,
    NULL::VARCHAR AS course_end_date,
    NULL::VARCHAR AS course_final_grade,
    s.language_code,
    s.competency_based,
    s.school_id, r.school_key, r.student_key, r.section_key, r.term_pos, r.context_rank
FROM ilsca_row AS r
JOIN ilsca_student AS st USING (student_key)
JOIN ilsca_section AS s USING (section_key)
JOIN ilsca_school AS home_school ON home_school.school_key = r.home_school_key;
