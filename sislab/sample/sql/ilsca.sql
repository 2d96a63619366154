-- Illinois part of the synthetic district (the IL Student Course Assignment extract reads it):
-- score groups mapped to state grades, grading tasks with credits and term masks, grades
-- posted per term, a few schedule start dates, and the district's ISBE course list.
-- Runs after bulk.sql and the scenario rows; uses bulk.sql's hash macros.

INSERT INTO score_group BY NAME
SELECT 'LETTER' AS score_group_id, unnest(getvariable('letters') || ['W', 'I']) AS score,
       unnest(getvariable('letters') || [NULL, NULL]) AS state_grade
UNION ALL
SELECT 'PASSFAIL', unnest(['P', 'NP']), unnest(['P', 'NP'])
UNION ALL
SELECT 'PROGRESS', unnest(['Satisfactory', 'Needs Improvement']), NULL;

-- Every course: a state-reported final task (credit 0.5 per 5 local credits, term mask = the
-- terms its sections meet in) and a progress task that is not state reported. On purpose:
-- Drama (9004) has no state-reported task, Concert Band's (9003) scale maps to no state grade.
CREATE TEMP TABLE il_mask AS
SELECT s.course_id, list_sort(list(DISTINCT t.term_code)) AS terms
FROM section s JOIN section_term t USING (section_id) GROUP BY s.course_id;

INSERT INTO grading_task BY NAME
SELECT c.course_id, 'FINAL' AS task_id, 'Final Grade' AS name, c.course_id <> '9004' AS state_reported,
       c.credits / 10 AS credit,
       CASE WHEN c.course_id = '9003' THEN 'PROGRESS' WHEN p.pass_fail THEN 'PASSFAIL' ELSE 'LETTER' END
           AS score_group_id
FROM course c JOIN p_course p USING (course_id)
UNION ALL
SELECT course_id, 'PROGRESS', 'Progress Report', false, NULL, 'PROGRESS' FROM course;

INSERT INTO grading_task_term BY NAME
SELECT course_id, task_id, unnest(terms) AS term_code
FROM grading_task JOIN il_mask USING (course_id);

-- Posted grades: final marks of past years; this year's in-progress grades for the terms
-- already started (a few not posted yet), and progress reports.
INSERT INTO posted_grade BY NAME
SELECT student_id, section_id, 'FINAL' AS task_id, term_code, mark AS score,
       NULL::DATE AS posted_date
FROM mark
WHERE section_id IS NOT NULL AND in_district;

INSERT INTO posted_grade BY NAME
SELECT DISTINCT r.student_id, r.section_id, g.task_id, t.term_code,
       CASE WHEN g.task_id = 'PROGRESS' THEN 'Satisfactory'
            WHEN p.pass_fail THEN 'P'
            ELSE getvariable('letters')[1 + pick('ip', r.student_id, r.section_id, t.term_code, 10)] END AS score,
       getvariable('today')::DATE AS posted_date
FROM roster r
JOIN section s USING (section_id)
JOIN calendar c ON c.calendar_id = s.calendar_id
JOIN section_term st ON st.section_id = s.section_id
JOIN term t ON t.calendar_id = s.calendar_id AND t.term_code = st.term_code
JOIN p_course p ON p.course_id = s.course_id
JOIN grading_task g ON g.course_id = s.course_id
WHERE c.school_year = getvariable('current_year') AND t.start_date <= getvariable('today')::DATE
  AND (r.end_date IS NULL OR r.end_date >= t.start_date)
  AND (g.task_id = 'PROGRESS' OR u('ip_missing', r.student_id, r.section_id, 0) >= 0.01)
  AND NOT EXISTS (SELECT 1 FROM mark m WHERE m.student_id = r.student_id AND m.section_id = r.section_id
                                         AND m.term_code = t.term_code);

-- A few students' schedules start later than their roster row (IL course start date).
UPDATE roster SET schedule_start_date = start_date + 7
WHERE u('schedule_start', student_id, section_id, 0) < 0.01;

-- The district's ISBE course list: every well-formed code in the catalog but one.
INSERT INTO state_course BY NAME
SELECT DISTINCT state_course_code, NULL AS title
FROM course
WHERE regexp_full_match(state_course_code, '[0-9]{5}[A-Z][0-9]{3}') AND state_course_code <> '05154A000';
