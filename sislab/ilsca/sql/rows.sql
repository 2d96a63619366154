-- ilsca_row: the file's records, narrow: integer keys (student, section, school, home school;
-- the file order is report.LINE_ORDER) and the few fields made per record, as written and cut
-- to width (`state_term` and `course_start` are term and start before formatting, for
-- pre-flight). One per reporting student and section (ilsca_scheduled), per term its posted
-- state-reported task covers and the section meets in (none in common: one, blank term,
-- term_pos 0), per distinct enrollment context (ilsca_context; none in the section's
-- calendar: the home enrollment's). Fields are formatted per student-section-context, before
-- the terms multiply them; unsorted: the one sort is the writer's (ilsca_record).
-- `may_repeat`: another record of the student and section may have the same Term (two of the
-- section's terms print alike, or the student has several contexts in the calendar); when
-- false pre-flight's duplicate check passes the record by (unless its state id is shared).
CREATE OR REPLACE TEMP TABLE ilsca_row AS
WITH context AS (
    SELECT k.student_key, k.section_key, k.school_key, k.summer, k.terms,
           x.student_key IS NOT NULL AS enrolled,  -- in the section's calendar
           k.terms_may_repeat OR coalesce(x.contexts > 1, false) AS may_repeat,  -- see below
           CASE WHEN enrolled THEN x.context_rank ELSE 1 END AS context_rank,
           CASE WHEN enrolled THEN x.home_school_key ELSE k.home_school_key END AS home_school_key,
           CASE WHEN enrolled THEN x.home_rcdts ELSE k.home_home_rcdts END AS home_rcdts_override,
           x.serving_rcdts AS serving_rcdts_override,
           k.course_start,
           left(strftime(course_start, '%m/%d/%Y'), $width_course_start_date) AS course_start_date,
           coalesce(k.credit_text, CASE WHEN (CASE WHEN enrolled THEN x.grade ELSE k.home_grade END) <= 8
                                        THEN $credit_default_k8 ELSE $credit_default_912 END) AS course_credit,  -- no width
           left(CASE WHEN (CASE WHEN enrolled THEN x.single_parent ELSE k.home_single_parent END) THEN $yes ELSE $no END,
                $width_single_parent) AS single_parent,
           left(CASE WHEN (CASE WHEN enrolled THEN x.displaced_homemaker ELSE k.home_displaced_homemaker END)
                     THEN $yes ELSE $no END, $width_displaced_homemaker) AS displaced_homemaker
    FROM ilsca_scheduled AS k
    LEFT JOIN ilsca_context AS x ON x.student_key = k.student_key AND x.calendar_id = k.calendar_id
    WHERE k.reports
), termed AS (  -- one row per term (none: one row, blank term)
    SELECT * EXCLUDE (terms), unnest(CASE WHEN len(terms) > 0 THEN terms ELSE [NULL] END) AS t
    FROM context
)
SELECT student_key, section_key, school_key, coalesce(t.pos, 0) AS term_pos, context_rank, home_school_key,
       home_rcdts_override, serving_rcdts_override,
       CASE WHEN summer THEN $summer_term ELSE nullif(t.state_term, '') END AS state_term,
       left(state_term, $width_term) AS term,
       course_start, course_start_date, course_credit, single_parent, displaced_homemaker, may_repeat
FROM termed;
