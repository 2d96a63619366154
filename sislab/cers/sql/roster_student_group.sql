-- Student group: one group per school and SIS student group (chosen by code or name, any
-- case) of its members enrolled now; a school's group only at that school.
SELECT e.school_id, concat_ws(' ', e.school_id, g.name) AS group_base, e.student_id,
       NULL::VARCHAR AS staff_id, NULL::VARCHAR AS role
FROM student_group g
JOIN student_group_member m ON m.group_code = g.group_code
JOIN cers_enrolled($schools, $as_of) e ON e.student_id = m.student_id
WHERE (g.school_id IS NULL OR g.school_id = e.school_id)
  AND (len($groups) = 0
       OR list_contains($groups, lower(g.group_code)) OR list_contains($groups, lower(g.name)))
