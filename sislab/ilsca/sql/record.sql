-- The file's fields as written and cut to their widths, from where each lives: per student
-- (ilsca_record_student), per section: its course, school and calendar (ilsca_record_section),
-- per record (ilsca_record_row: ilsca_row with its Home and Serving RCDTS, the override else
-- the school's). Views: the fields are put together as they are written, never stored.
-- ilsca_record joins the three on integer keys (the review formats, previews, records());
-- the state file is assembled from the three in file order without that join (formats.py,
-- which quotes the fields as DuckDB's CSV writer does: formats.quoted).
-- Each file field is a column of exactly one of the three views. Read ORDER BY report.LINE_ORDER.
CREATE OR REPLACE TEMP VIEW ilsca_record_student AS
SELECT student_key, student_state_id, student_id AS sap_id, last_name, first_name, birth_date
FROM ilsca_student;

CREATE OR REPLACE TEMP VIEW ilsca_record_section AS
SELECT section_key, school_year, state_course_code, course_id AS local_course_id, local_course_title,
       section_id AS section_number, course_level, articulated_credit, dual_credit, course_setting,
       NULL::VARCHAR AS actual_attendance, NULL::VARCHAR AS total_attendance,
       NULL::VARCHAR AS course_numeric_grade, NULL::VARCHAR AS maximum_numeric_grade,
       NULL::VARCHAR AS course_end_date, NULL::VARCHAR AS course_final_grade,
       language_code, competency_based
FROM ilsca_section;

CREATE OR REPLACE TEMP VIEW ilsca_record_row AS
SELECT r.school_key, r.student_key, r.section_key, r.term_pos, r.context_rank,
       coalesce(r.home_rcdts_override, home_school.home_rcdts) AS home_rcdts,
       coalesce(r.serving_rcdts_override, serving_school.serving_rcdts) AS serving_rcdts,
       r.term, r.course_start_date, r.course_credit, r.single_parent, r.displaced_homemaker
FROM ilsca_row AS r
JOIN ilsca_school AS home_school ON home_school.school_key = r.home_school_key
JOIN ilsca_school AS serving_school ON serving_school.school_key = r.school_key;

CREATE OR REPLACE TEMP VIEW ilsca_record AS  -- the record's own fields as text again (ilsca_row holds codes)
SELECT r.* REPLACE (r.term::VARCHAR AS term, r.course_start_date::VARCHAR AS course_start_date,
                    r.course_credit::VARCHAR AS course_credit, r.single_parent::VARCHAR AS single_parent,
                    r.displaced_homemaker::VARCHAR AS displaced_homemaker),
       st.* EXCLUDE (student_key), s.* EXCLUDE (section_key), serving_school.school_id
FROM ilsca_record_row AS r
JOIN ilsca_record_student AS st USING (student_key)
JOIN ilsca_record_section AS s USING (section_key)
JOIN ilsca_school AS serving_school USING (school_key);

