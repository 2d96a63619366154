-- Elementary grade level: one group per school and grade of the students enrolled now.
SELECT e.school_id,
       concat_ws(' ', e.school_id, 'Grade',
                 CASE e.grade WHEN -1 THEN 'TK' WHEN 0 THEN 'K' ELSE e.grade::VARCHAR END) AS group_base,
       e.student_id, NULL::VARCHAR AS staff_id, NULL::VARCHAR AS role
FROM cers_enrolled($schools, $as_of) e
WHERE len($grades) = 0 OR list_contains($grades, e.grade)
