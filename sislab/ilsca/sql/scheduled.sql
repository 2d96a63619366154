-- ilsca_scheduled: every (student, section) the run looks at: a student of ilsca_student
-- (ilsca_enrollment) active on the section's roster inside the window, the section in a
-- selected calendar (ilsca_section); with each reason the course/section would not report
-- (all false = it reports), and what its records need of the pair itself: the course start
-- (the roster start, else the section's first term start) and the terms its posted
-- state-reported grades report in (`term_mask`, a bit mask over the section's terms, from
-- ilsca_section_task). Roster stints and posted grades are grouped by (student, section) in
-- one pass, on their integer keys: no second grouping, no join between the two. Planned with
-- one DuckDB optimizer off (report.STEP_SETTINGS: it would hash the pairs, not the students).
-- Narrow: integer keys, a date, a mask and flags; what the student and the section hold
-- (ids, home enrollment, terms, credit) is looked up by key where it is used (rows.sql,
-- preflight.sql), not copied to each of the 1.5 M pairs.
CREATE OR REPLACE TEMP TABLE ilsca_scheduled AS
WITH seen AS (
    -- the student's schedule start date if set, else the roster start (earliest stint in the
    -- window); a roster without a start (the model requires one) counts from the section's start
    SELECT st.student_key, s.section_key, coalesce(r.schedule_start_date, r.start_date) AS start_date,
           NULL::UBIGINT AS term_mask, true AS on_roster
    FROM roster AS r
    JOIN ilsca_section AS s USING (section_id)
    JOIN ilsca_student AS st USING (student_id)
    WHERE (r.start_date IS NULL OR r.start_date <= $end) AND (r.end_date IS NULL OR r.end_date >= $start)
    UNION ALL
    SELECT st.student_key, t.section_key, NULL, t.term_mask, false
    FROM posted_grade AS p
    JOIN ilsca_section_task AS t ON t.section_id = p.section_id AND t.task_id = p.task_id
    JOIN ilsca_student AS st ON st.student_id = p.student_id
), pair AS (
    SELECT student_key, section_key,
           min(start_date) FILTER (WHERE on_roster) AS roster_start,
           bool_or(NOT on_roster) AS posted,
           bit_or(term_mask) AS term_mask  -- roster rows: NULL, ignored
    FROM seen
    GROUP BY student_key, section_key
    HAVING bool_or(on_roster)
), judged AS (
SELECT st.student_key, s.section_key,
       coalesce(p.roster_start, s.first_term_start) AS course_start,  -- its records' Student Course Start Date
       p.term_mask,
       s.no_state_code, s.state_excluded, s.is_dual_credit AS dual_credit, s.no_state_task,  -- the course's (course.sql)
       NOT p.posted AS no_posted_grade,
       st.state_id IS NULL AND NOT $include_no_state_id AS no_state_id
FROM pair AS p
JOIN ilsca_section AS s USING (section_key)
JOIN ilsca_student AS st USING (student_key)
)
SELECT *, NOT (no_state_code OR state_excluded OR dual_credit OR no_state_task OR no_posted_grade OR no_state_id) AS reports
FROM judged;
