SELECT r.sid::VARCHAR AS sourcedId, 'true' AS enabledUser, r.org_sids AS orgSourcedIds,
       'student' AS role, coalesce(s.email, s.student_id) AS username, NULL AS userIds,
       s.first_name AS givenName, s.last_name AS familyName, s.middle_name AS middleName, s.student_id AS identifier,
       s.email, NULL AS sms, NULL AS phone, NULL AS agentSourcedIds, rf_grade(s.grade) AS grades, NULL AS password
FROM rf_student r JOIN student s USING (student_id)
UNION ALL
SELECT r.sid::VARCHAR, 'true', r.org_sids,
       'teacher', coalesce(t.email, t.staff_id), NULL, t.first_name, t.last_name, NULL, t.staff_id,
       t.email, NULL, NULL, NULL, NULL, NULL
FROM rf_teacher r JOIN staff t USING (staff_id)
ORDER BY role, identifier
