-- ilsca_posted: grades posted to a state-reported task (ilsca_state_task) in a section of a
-- selected calendar, one row per student, section and task.
CREATE OR REPLACE TEMP TABLE ilsca_posted AS
SELECT DISTINCT p.student_id, p.section_id, p.task_id, s.course_id
FROM posted_grade AS p
JOIN section AS s ON s.section_id = p.section_id AND list_contains($calendars, s.calendar_id)
JOIN ilsca_state_task AS t ON t.course_id = s.course_id AND t.task_id = p.task_id;
