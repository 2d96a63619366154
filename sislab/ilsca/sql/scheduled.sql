-- ilsca_scheduled: every (student, section) the run looks at: a student of ilsca_enrollment
-- active on the section's roster inside the window, the section in a selected calendar;
-- with each reason the course/section would not report (all false = it reports).
CREATE OR REPLACE TEMP TABLE ilsca_scheduled AS
WITH on_roster AS (
    -- the student's schedule start date if set, else the roster start (earliest stint in the
    -- window); a roster without a start (the model requires one) counts from the section's start
    SELECT r.student_id, r.section_id, min(coalesce(r.schedule_start_date, r.start_date)) AS roster_start
    FROM roster AS r
    JOIN section AS s ON s.section_id = r.section_id AND list_contains($calendars, s.calendar_id)
    WHERE (r.start_date IS NULL OR r.start_date <= $end) AND (r.end_date IS NULL OR r.end_date >= $start)
      AND r.student_id IN (SELECT student_id FROM ilsca_enrollment)
    GROUP BY r.student_id, r.section_id
), posted AS (
    SELECT DISTINCT student_id, section_id FROM ilsca_posted
)
SELECT o.student_id, o.section_id, s.course_id, s.school_id, s.calendar_id, o.roster_start,
       nullif(trim(c.state_course_code), '') IS NULL AS no_state_code,
       coalesce(c.state_exclude, false) AS state_excluded,
       coalesce(c.dual_credit, false) AS dual_credit,
       s.course_id NOT IN (SELECT course_id FROM ilsca_state_task) AS no_state_task,
       p.student_id IS NULL AS no_posted_grade,
       nullif(trim(st.state_id), '') IS NULL AND NOT $include_no_state_id AS no_state_id
FROM on_roster AS o
JOIN section AS s USING (section_id)
JOIN course AS c ON c.course_id = s.course_id
JOIN student AS st ON st.student_id = o.student_id
LEFT JOIN posted AS p ON p.student_id = o.student_id AND p.section_id = o.section_id
WHERE list_contains($calendars, s.calendar_id);
