-- ilsca_section_task: per section and state-reported task (ilsca_state_task) of its course,
-- the terms a grade posted to that task reports in: those of the task's term mask the
-- section meets in, as a bit mask over the section's terms (ilsca_section_term.bit).
-- Small (sections x tasks); a mask lets the posted grades of a student's section be combined
-- with bit_or (scheduled.sql).
CREATE OR REPLACE TEMP TABLE ilsca_section_task AS
SELECT s.section_id, s.section_key, t.task_id,
       bit_or(CASE WHEN x.pos IS NULL THEN 0::UBIGINT
                   WHEN x.pos <= 64 THEN x.bit
                   ELSE error('section ' || s.section_id || ' meets in more than 64 terms') END) AS term_mask
FROM ilsca_section AS s
JOIN ilsca_state_task AS t ON t.course_id = s.course_id
LEFT JOIN grading_task_term AS m ON m.course_id = t.course_id AND m.task_id = t.task_id
LEFT JOIN ilsca_section_term AS x ON x.section_id = s.section_id AND x.term_code = m.term_code
GROUP BY s.section_id, s.section_key, t.task_id;
