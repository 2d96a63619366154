-- Counselor: one group per school and counselor of the students enrolled now; the counselor
-- gets the group.
WITH assigned AS (
    SELECT e.school_id, e.student_id, s.counselor_id, c.last_name, c.first_name
    FROM cers_enrolled($schools, $as_of) e
    JOIN student s ON s.student_id = e.student_id
    JOIN staff c ON c.staff_id = s.counselor_id
    WHERE len($counselors) = 0 OR list_contains($counselors, s.counselor_id)
),
named AS (
    SELECT *, concat_ws(' ', school_id, last_name || ' ' || first_name) AS group_base FROM assigned
)
SELECT school_id, group_base, student_id, NULL::VARCHAR AS staff_id, NULL::VARCHAR AS role FROM named
UNION ALL
SELECT DISTINCT school_id, group_base, NULL, counselor_id, 'counselor' FROM named
