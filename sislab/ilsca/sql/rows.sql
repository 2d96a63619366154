-- ilsca_row: the file's records, one per student, course/section, term and distinct
-- enrollment context (Home RCDTS, Serving RCDTS, Single Parent, Displaced Homemaker); keys
-- and computed values only. A view: record.sql formats them as fields, in file order, in the
-- same query (no table of 2 M rows in between).
CREATE OR REPLACE TEMP VIEW ilsca_row AS
WITH reporting AS (
    SELECT * FROM ilsca_scheduled
    WHERE NOT (no_state_code OR state_excluded OR dual_credit OR no_state_task OR no_posted_grade OR no_state_id)
), report_term AS (
    -- one row per term the student's posted state-reported task covers and the section meets in
    SELECT DISTINCT k.student_id, k.section_id, m.term_code
    FROM reporting AS k
    JOIN ilsca_posted AS p ON p.student_id = k.student_id AND p.section_id = k.section_id
    JOIN grading_task_term AS m ON m.course_id = p.course_id AND m.task_id = p.task_id
    JOIN section_term AS x ON x.section_id = k.section_id AND x.term_code = m.term_code
), section_credit AS (
    -- per state-reported task with a credit and a term mask: overlapping scheduled terms x credit
    SELECT s.section_id, sum(CASE WHEN x.term_code IS NOT NULL THEN t.credit ELSE 0 END) AS credit
    FROM (SELECT DISTINCT section_id, course_id FROM reporting) AS s
    JOIN grading_task AS t ON t.course_id = s.course_id AND t.state_reported AND t.credit IS NOT NULL
    JOIN grading_task_term AS m ON m.course_id = t.course_id AND m.task_id = t.task_id
    LEFT JOIN section_term AS x ON x.section_id = s.section_id AND x.term_code = m.term_code
    GROUP BY s.section_id
), first_term AS (
    SELECT x.section_id, min(tm.start_date) AS start_date
    FROM (SELECT DISTINCT section_id, calendar_id FROM reporting) AS s
    JOIN section_term AS x ON x.section_id = s.section_id
    JOIN term AS tm ON tm.calendar_id = s.calendar_id AND tm.term_code = x.term_code
    GROUP BY x.section_id
), home AS (
    -- the most recent primary enrollment in the selected calendars, else the most recent one
    SELECT student_id,
           arg_max({'school_id': school_id, 'single_parent': single_parent,
                    'displaced_homemaker': displaced_homemaker, 'grade': grade},
                   (enrollment_type = 'primary', start_date, school_id, calendar_id)) AS e
    FROM ilsca_enrollment
    GROUP BY student_id
), context AS (
    -- a primary enrollment in the section's calendar brings its own values; otherwise the
    -- student's home enrollment (rule above) gives them. Distinct combinations each report.
    SELECT k.student_id, k.section_id,
           CASE WHEN e.enrollment_type = 'primary' THEN e.school_id ELSE h.e.school_id END AS home_school_id,
           CASE WHEN e.enrollment_type = 'primary' THEN e.single_parent ELSE h.e.single_parent END AS single_parent,
           CASE WHEN e.enrollment_type = 'primary' THEN e.displaced_homemaker ELSE h.e.displaced_homemaker END
               AS displaced_homemaker,
           max(coalesce(e.grade, h.e.grade)) AS grade
    FROM reporting AS k
    JOIN home AS h USING (student_id)
    LEFT JOIN ilsca_enrollment AS e ON e.student_id = k.student_id AND e.calendar_id = k.calendar_id
    GROUP BY ALL
)
SELECT k.student_id, k.section_id, k.course_id, k.school_id, k.calendar_id, rt.term_code, x.grade,
       x.home_school_id, x.single_parent, x.displaced_homemaker,
       coalesce(k.roster_start, ft.start_date) AS course_start, sc.credit
FROM reporting AS k
JOIN context AS x ON x.student_id = k.student_id AND x.section_id = k.section_id
LEFT JOIN report_term AS rt ON rt.student_id = k.student_id AND rt.section_id = k.section_id
LEFT JOIN section_credit AS sc ON sc.section_id = k.section_id
LEFT JOIN first_term AS ft ON ft.section_id = k.section_id;
