WITH grades AS (
    SELECT m.section_id, string_agg(DISTINCT rf_grade(st.grade), ',' ORDER BY rf_grade(st.grade)) AS grades
    FROM rf_member m JOIN student st USING (student_id) GROUP BY m.section_id
),
terms AS (
    SELECT c.section_id, string_agg(rf_id('session', c.calendar_id || '/' || t.term_code), ',' ORDER BY t.term_code) AS terms
    FROM rf_class c JOIN section_term t USING (section_id) GROUP BY c.section_id
)
SELECT rf_id('class', c.section_id) AS sourcedId,
       co.title || CASE WHEN c.period IS NOT NULL THEN ' (period ' || c.period || ')' ELSE '' END || ' ' || c.section_id AS title,
       g.grades, rf_id('course', c.course_id) AS courseSourcedId, c.section_id AS classCode,
       CASE WHEN c.homeroom THEN 'homeroom' ELSE 'scheduled' END AS classType, NULL AS location,
       rf_org(c.school_id) AS schoolSourcedId,
       t.terms AS termSourcedIds, co.subject_area AS subjects, NULL AS subjectCodes, c.period AS periods
FROM rf_class c
JOIN course co USING (course_id)
LEFT JOIN grades g USING (section_id)
LEFT JOIN terms t USING (section_id)
ORDER BY c.school_id, c.section_id
