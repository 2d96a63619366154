-- Per school: students with an open primary enrollment on $as_of, sections of calendars in
-- session on $as_of (first term start .. last term end), and active staff whose home it is.
WITH chosen AS (
    SELECT school_id, name AS school_name, school_type
    FROM school
    WHERE (active OR $include_inactive)
      AND ($schools IS NULL OR list_contains($schools, school_id))
),
students AS (
    SELECT school_id, count(DISTINCT student_id) AS students
    FROM enrollment
    WHERE enrollment_type = 'primary'
      AND start_date <= $as_of
      AND (end_date IS NULL OR end_date >= $as_of)
    GROUP BY school_id
),
calendars_in_session AS (
    SELECT calendar_id
    FROM term
    GROUP BY calendar_id
    HAVING min(start_date) <= $as_of AND max(end_date) >= $as_of
),
sections AS (
    SELECT school_id, count(*) AS sections
    FROM section
    WHERE calendar_id IN (SELECT calendar_id FROM calendars_in_session)
    GROUP BY school_id
),
staff AS (
    SELECT school_id, count(*) AS staff
    FROM staff
    WHERE active
    GROUP BY school_id
)
SELECT
    c.school_id,
    c.school_name,
    c.school_type,
    coalesce(students.students, 0)  AS students,
    coalesce(sections.sections, 0)  AS sections,
    coalesce(staff.staff, 0)        AS staff
FROM chosen AS c
LEFT JOIN students USING (school_id)
LEFT JOIN sections USING (school_id)
LEFT JOIN staff USING (school_id)
ORDER BY c.school_id;
