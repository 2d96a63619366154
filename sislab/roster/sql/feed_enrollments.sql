SELECT rf_id('enrollment', m.section_id || '/student/' || m.student_id || '/' || m.start_date) AS sourcedId,
       rf_id('class', m.section_id) AS classSourcedId,
       rf_org(c.school_id) AS schoolSourcedId,
       rf_id('student', m.student_id) AS userSourcedId, 'student' AS role, 'false' AS "primary",
       m.start_date AS beginDate, m.end_date AS endDate
FROM rf_member m JOIN rf_class c USING (section_id)
UNION ALL
SELECT rf_id('enrollment', t.section_id || '/staff/' || t.staff_id),
       rf_id('class', t.section_id), rf_org(c.school_id),
       rf_id('staff', t.staff_id), 'teacher', CASE WHEN t.primary_teacher THEN 'true' ELSE 'false' END,
       t.start_date, t.end_date
FROM rf_teaching t JOIN rf_class c USING (section_id)
ORDER BY classSourcedId, role DESC, userSourcedId
