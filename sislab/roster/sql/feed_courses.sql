SELECT rf_id('course', c.course_id) AS sourcedId, rf_id('session', 'year/' || $school_year) AS schoolYearSourcedId,
       c.title, c.course_id AS courseCode, NULL AS grades, rf_id('org', getvariable('rf_district')) AS orgSourcedId,
       c.subject_area AS subjects, NULL AS subjectCodes
FROM course c
WHERE c.course_id IN (SELECT course_id FROM rf_class)
ORDER BY c.course_id
