-- Each class's and each user's sourcedId is computed once, not once per enrollment; the ids stay
-- UUIDs until written (as text), so the sort compares 16-byte numbers in the order of their text.
WITH cls AS (
    SELECT section_id, rf_uuid('class', section_id) AS class_sid, rf_org(school_id) AS school_sid FROM rf_class
),
stu AS (
    SELECT student_id, rf_uuid('student', student_id) AS user_sid FROM (SELECT DISTINCT student_id FROM rf_member)
),
stf AS (
    SELECT staff_id, rf_uuid('staff', staff_id) AS user_sid FROM (SELECT DISTINCT staff_id FROM rf_teaching)
)
SELECT rf_uuid('enrollment', m.section_id || '/student/' || m.student_id || '/' || m.start_date) AS sourcedId,
       c.class_sid AS classSourcedId, c.school_sid AS schoolSourcedId,
       s.user_sid AS userSourcedId, 'student' AS role, 'false' AS "primary",
       m.start_date AS beginDate, m.end_date AS endDate
FROM rf_member m JOIN cls c USING (section_id) JOIN stu s USING (student_id)
UNION ALL
SELECT rf_uuid('enrollment', t.section_id || '/staff/' || t.staff_id),
       c.class_sid, c.school_sid, s.user_sid, 'teacher', CASE WHEN t.primary_teacher THEN 'true' ELSE 'false' END,
       t.start_date, t.end_date
FROM rf_teaching t JOIN cls c USING (section_id) JOIN stf s USING (staff_id)
ORDER BY classSourcedId, role DESC, userSourcedId, sourcedId
