-- What CCGI would not load, one row per student (or enrollment) with the CourseGrade rows affected:
-- STATE_ID_BLANK: a student of the Student file without StateID (their CourseGrade rows carry no
-- student key). ENROLLMENT_NOT_PLACED: an enrollment dated within the school year (July-June) at
-- a school of the files that no calendar places in any year: if no other enrollment places the
-- student in the year, the student and their CourseGrade rows are left out.
WITH history AS (
    SELECT student_id, count(*) AS rows FROM mark WHERE school_year <= $school_year GROUP BY student_id
)
SELECT 'STATE_ID_BLANK' AS rule, t.student_id, t.cds_code, t.enrollment_start, coalesce(h.rows, 0) AS course_grade_rows
FROM ag_transcript_student t
LEFT JOIN history h USING (student_id)
WHERE nullif(trim(t.state_id), '') IS NULL
UNION ALL
SELECT 'ENROLLMENT_NOT_PLACED', e.student_id, sc.cds_code, e.start_date,
       CASE WHEN e.student_id IN (SELECT student_id FROM ag_transcript_student) THEN 0 ELSE coalesce(h.rows, 0) END
FROM ag_transcript_enrollment e
JOIN school sc ON sc.school_id = e.school_id
JOIN student st ON st.student_id = e.student_id
LEFT JOIN history h ON h.student_id = e.student_id
WHERE e.school_year IS NULL AND sc.cds_code IS NOT NULL AND NOT coalesce(st.parent_opt_out, false)
  AND e.start_date <= make_date($school_year, 6, 30)
  AND coalesce(e.end_date, DATE '9999-12-31') >= make_date($school_year - 1, 7, 1)
  AND ($schools::VARCHAR[] IS NULL OR list_contains($schools::VARCHAR[], sc.school_id))
ORDER BY rule, student_id, enrollment_start;
