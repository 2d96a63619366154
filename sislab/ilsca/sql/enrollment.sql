-- ilsca_enrollment: the enrollments that make a student report. An active enrollment
-- (primary, special-ed or partial) inside the Start-End window, in one of the selected
-- calendars, in state grade K (0 here) or 01-12 and in the selected grades, and (when an ad
-- hoc filter is chosen) a member of that student group.
CREATE OR REPLACE TEMP TABLE ilsca_enrollment AS
SELECT e.student_id, e.school_id, e.calendar_id, e.start_date, e.end_date, e.grade, e.enrollment_type,
       coalesce(e.single_parent, false) AS single_parent,
       coalesce(e.displaced_homemaker, false) AS displaced_homemaker,
       nullif(trim(e.home_rcdts), '') AS home_rcdts,  -- the enrollment's overrides (never cut)
       nullif(trim(e.serving_rcdts), '') AS serving_rcdts
FROM enrollment AS e
WHERE list_contains($calendars, e.calendar_id)
  AND list_contains($active_enrollments, e.enrollment_type)
  AND e.start_date <= $end AND (e.end_date IS NULL OR e.end_date >= $start)
  AND e.grade BETWEEN 0 AND 12 AND list_contains($grades, e.grade)
  AND ($student_group::VARCHAR IS NULL OR e.student_id IN (
        SELECT student_id FROM student_group_member WHERE group_code = $student_group::VARCHAR));
