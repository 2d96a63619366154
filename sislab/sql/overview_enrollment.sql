-- Students with a primary enrollment open on $as_of, by school and grade (the span's grade).
-- A student also enrolled partially elsewhere is counted once, at the primary school.
-- Inactive schools are hidden unless $include_inactive; $schools (a list) narrows the schools.
SELECT
    s.school_id,
    s.name                          AS school_name,
    e.grade,
    count(DISTINCT e.student_id)    AS students
FROM enrollment AS e
JOIN school AS s USING (school_id)
WHERE e.enrollment_type = 'primary'
  AND e.start_date <= $as_of
  AND (e.end_date IS NULL OR e.end_date >= $as_of)
  AND (s.active OR $include_inactive)
  AND ($schools IS NULL OR list_contains($schools, s.school_id))
GROUP BY ALL
ORDER BY s.school_id, e.grade;
