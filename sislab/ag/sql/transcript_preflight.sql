-- Students of the Student file CCGI cannot match: a blank StateID (their CourseGrade rows carry
-- no student key). One row per student with the number of CourseGrade rows affected.
SELECT 'STATE_ID_BLANK' AS rule, t.student_id, t.cds_code,
       (SELECT count(*) FROM mark m WHERE m.student_id = t.student_id AND m.school_year <= $school_year) AS course_grade_rows
FROM ag_transcript_student t
WHERE nullif(trim(t.state_id), '') IS NULL
ORDER BY t.student_id;
