-- ilsca_row: the file's records, narrow: integer keys (student, section, school, home school;
-- the file order is report.LINE_ORDER) and the few fields made per record, as written and cut
-- to width (`state_term` and `course_start` are term and start before formatting, for
-- pre-flight). One per reporting student and section (ilsca_scheduled), per term its posted
-- state-reported task covers and the section meets in (ilsca_section_term, by the pair's term
-- mask; none in common: one, blank term, term_pos 0), per distinct enrollment context
-- (ilsca_context; none in the section's calendar: the home enrollment's, ilsca_student).
-- Fields are formatted per student-section-context, before the terms multiply them, and the
-- five written ones stored as codes of ilsca_record_value (record_value.sql); unsorted: the
-- one sort is the writer's (ilsca_record).
-- `may_repeat`: another record of the student and section may have the same Term (two of the
-- section's terms print alike, or the student has several contexts in the calendar); when
-- false pre-flight's duplicate check passes the record by (unless its state id is shared).
CREATE OR REPLACE TEMP TABLE ilsca_row AS
WITH context AS (
    SELECT k.student_key, k.section_key, s.school_key, s.summer, k.term_mask,
           x.student_key IS NOT NULL AS enrolled,  -- in the section's calendar
           s.terms_may_repeat OR coalesce(x.contexts > 1, false) AS may_repeat,  -- see below
           CASE WHEN enrolled THEN x.context_rank ELSE 1 END AS context_rank,
           CASE WHEN enrolled THEN x.home_school_key ELSE st.home_school_key END AS home_school_key,
           CASE WHEN enrolled THEN x.home_rcdts ELSE st.home_home_rcdts END AS home_rcdts_override,
           x.serving_rcdts AS serving_rcdts_override,
           k.course_start,
           left(strftime(course_start, '%m/%d/%Y'), $width_course_start_date)::ilsca_record_value AS course_start_date,
           coalesce(s.credit_text, CASE WHEN (CASE WHEN enrolled THEN x.grade ELSE st.home_grade END) <= 8
                                        THEN $credit_default_k8 ELSE $credit_default_912 END)::ilsca_record_value
               AS course_credit,  -- no width
           CASE WHEN (CASE WHEN enrolled THEN x.single_parent ELSE st.home_single_parent END)
                THEN left($yes, $width_single_parent)::ilsca_record_value
                ELSE left($no, $width_single_parent)::ilsca_record_value END AS single_parent,
           CASE WHEN (CASE WHEN enrolled THEN x.displaced_homemaker ELSE st.home_displaced_homemaker END)
                THEN left($yes, $width_displaced_homemaker)::ilsca_record_value
                ELSE left($no, $width_displaced_homemaker)::ilsca_record_value END AS displaced_homemaker
    FROM ilsca_scheduled AS k
    JOIN ilsca_section AS s ON s.section_key = k.section_key
    JOIN ilsca_student AS st ON st.student_key = k.student_key
    LEFT JOIN ilsca_context AS x ON x.student_key = k.student_key AND x.calendar_id = s.calendar_id
    WHERE k.reports
)
SELECT c.student_key, c.section_key, c.school_key, coalesce(t.pos, 0) AS term_pos, c.context_rank, c.home_school_key,
       c.home_rcdts_override, c.serving_rcdts_override,
       CASE WHEN c.summer THEN $summer_term ELSE nullif(t.state_term_code, '') END AS state_term,
       left(state_term, $width_term)::ilsca_record_value AS term,
       c.course_start, c.course_start_date, c.course_credit, c.single_parent, c.displaced_homemaker, c.may_repeat
FROM context AS c  -- one row per term in the mask (none: one row, blank term)
LEFT JOIN ilsca_section_term AS t ON t.section_key = c.section_key AND c.term_mask & t.bit <> 0;
