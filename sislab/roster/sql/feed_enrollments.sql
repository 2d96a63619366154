-- The classes' and users' sourcedIds are made once (feed_prepare.sql), not once per enrollment;
-- they stay UUIDs until written (as text), so the sort compares 16-byte numbers in the order of their text.
SELECT rf_uuid('enrollment', m.section_id || '/student/' || m.student_id || '/' || m.start_date) AS sourcedId,
       c.sid AS classSourcedId, c.school_sid AS schoolSourcedId,
       s.sid AS userSourcedId, 'student' AS role, 'false' AS "primary",
       m.start_date AS beginDate, m.end_date AS endDate
FROM rf_member m JOIN rf_class c USING (section_id) JOIN rf_student s USING (student_id)
UNION ALL
SELECT rf_uuid('enrollment', t.section_id || '/staff/' || t.staff_id),
       c.sid, c.school_sid, s.sid, 'teacher', CASE WHEN t.primary_teacher THEN 'true' ELSE 'false' END,
       t.start_date, t.end_date
FROM rf_teaching t JOIN rf_class c USING (section_id) JOIN rf_teacher s USING (staff_id)
ORDER BY classSourcedId, role DESC, userSourcedId, sourcedId
