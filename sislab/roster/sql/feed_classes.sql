WITH grades AS (  -- each class's distinct grade levels first, then their codes
    SELECT section_id, string_agg(DISTINCT rf_grade(grade), ',' ORDER BY rf_grade(grade)) AS grades
    FROM (SELECT DISTINCT m.section_id, st.grade FROM rf_member m JOIN student st USING (student_id))
    GROUP BY section_id
),
terms AS (  -- a class of a calendar without terms is in the school year's session
    SELECT section_id, string_agg(rf_id('session', calendar_id || '/' || term_code), ',' ORDER BY term_code) AS terms
    FROM rf_class_term WHERE known GROUP BY section_id
)
SELECT c.sid::VARCHAR AS sourcedId,
       co.title || CASE WHEN c.period IS NOT NULL THEN ' (period ' || c.period || ')' ELSE '' END || ' ' || c.section_id AS title,
       g.grades, rf_id('course', c.course_id) AS courseSourcedId, c.section_id AS classCode,
       CASE WHEN c.homeroom THEN 'homeroom' ELSE 'scheduled' END AS classType, NULL AS location,
       c.school_sid AS schoolSourcedId,
       coalesce(t.terms, rf_id('session', 'year/' || $school_year)) AS termSourcedIds,
       co.subject_area AS subjects, NULL AS subjectCodes, c.period AS periods
FROM rf_class c
JOIN course co USING (course_id)
LEFT JOIN grades g USING (section_id)
LEFT JOIN terms t USING (section_id)
ORDER BY c.line
