-- ilsca_state_task: grading tasks that can carry a course to the state: marked state
-- reported, with a score group that maps to state grades (any score with a state grade).
CREATE OR REPLACE TEMP TABLE ilsca_state_task AS
SELECT course_id, task_id
FROM grading_task
WHERE state_reported
  AND score_group_id IN (SELECT score_group_id FROM score_group WHERE nullif(trim(state_grade), '') IS NOT NULL);
