-- ag_transcript_enrollment: the primary enrollments in a transcript grade, each with the school
-- year it is placed in. An enrollment's calendar gives its year; one without a calendar (the
-- column is optional) is placed in every year whose regular calendar at its school (first term
-- start .. last term end) its dates overlap. school_year is NULL when no calendar places it.
CREATE OR REPLACE TEMP TABLE ag_transcript_enrollment AS
WITH regular AS (
    SELECT k.school_id, k.school_year, min(t.start_date) AS first_day, max(t.end_date) AS last_day
    FROM calendar k
    JOIN term t USING (calendar_id)
    WHERE NOT coalesce(k.summer, false)
    GROUP BY k.calendar_id, k.school_id, k.school_year
)
SELECT DISTINCT e.*, coalesce(k.school_year, r.school_year) AS school_year
FROM enrollment e
LEFT JOIN calendar k ON k.calendar_id = e.calendar_id
LEFT JOIN regular r ON e.calendar_id IS NULL AND r.school_id = e.school_id
     AND r.first_day <= coalesce(e.end_date, DATE '9999-12-31') AND r.last_day >= e.start_date
WHERE e.enrollment_type = 'primary' AND list_contains($student_grades, e.grade);
