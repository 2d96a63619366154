-- ilsca_row: the file's records, narrow (keys, and the few fields made per record, as written
-- and cut to width; `state_term` and `course_start` are term and start before formatting, for
-- pre-flight), stored sorted in file order (school, student, course, section, term, home
-- school, single parent, displaced homemaker): its rowid is the record's line. One per
-- reporting student and section, per term its posted state-reported task covers and the
-- section meets in (none in common: one, blank term), per distinct enrollment context
-- (ilsca_context; none in the section's calendar: the home enrollment's). Fields as written
-- come from the view ilsca_record (record.sql).
CREATE OR REPLACE TEMP TABLE ilsca_row AS
WITH reporting AS (
    SELECT k.*, list_filter(s.terms, lambda t, i: (k.term_mask >> (i - 1)) & 1 = 1) AS terms
    FROM ilsca_scheduled AS k
    JOIN ilsca_section AS s USING (section_id)
    WHERE NOT (no_state_code OR state_excluded OR dual_credit OR no_state_task OR no_posted_grade OR no_state_id)
), termed AS (  -- one row per term (none: one row, blank term)
    SELECT k.*, unnest(CASE WHEN len(k.terms) > 0 THEN k.terms ELSE [NULL] END) AS t
    FROM reporting AS k
), context AS (
    SELECT k.*,
           CASE WHEN x.student_id IS NULL THEN k.home_school_id ELSE x.home_school_id END AS home,
           CASE WHEN x.student_id IS NULL THEN k.home_single_parent ELSE x.single_parent END AS single_parent,
           CASE WHEN x.student_id IS NULL THEN k.home_displaced_homemaker ELSE x.displaced_homemaker END
               AS displaced_homemaker,
           CASE WHEN x.student_id IS NULL THEN k.home_grade ELSE x.grade END AS grade,
           CASE WHEN x.student_id IS NULL THEN k.home_home_rcdts ELSE x.home_rcdts END AS home_rcdts,
           x.serving_rcdts
    FROM termed AS k
    LEFT JOIN ilsca_context AS x ON x.student_id = k.student_id AND x.calendar_id = k.calendar_id
)
SELECT student_id, section_id, course_id, school_id, calendar_id, home AS home_school_id,
       context.home_rcdts AS home_rcdts_override, context.serving_rcdts AS serving_rcdts_override,
       CASE WHEN summer THEN $summer_term ELSE nullif(t.state_term_code, '') END AS state_term,
       left(state_term, $width_term) AS term,
       coalesce(roster_start, first_term_start) AS course_start,
       left(strftime(course_start, '%m/%d/%Y'), $width_course_start_date) AS course_start_date,
       coalesce(printf('%.2f', credit::DOUBLE), CASE WHEN grade <= 8 THEN $credit_default_k8 ELSE $credit_default_912 END)
           AS course_credit,  -- no width
       left(CASE WHEN single_parent THEN $yes ELSE $no END, $width_single_parent) AS single_parent,
       left(CASE WHEN displaced_homemaker THEN $yes ELSE $no END, $width_displaced_homemaker) AS displaced_homemaker
FROM context
ORDER BY school_id, student_id, course_id, section_id, t.term_code, home, context.home_rcdts, context.serving_rcdts,
         context.single_parent, context.displaced_homemaker;  -- the flags (false first), not their codes
