-- The catalog of each school with a CDS code: courses with a section there in the school year.
-- GraduationRequirements is the course's UC A-G area letter (blank for a course that is not A-G).
WITH sec AS (
    SELECT s.school_id, s.course_id, count(st.term_code) AS terms
    FROM section s
    JOIN calendar k USING (calendar_id)
    LEFT JOIN section_term st ON st.section_id = s.section_id
    WHERE k.school_year = $school_year
    GROUP BY s.school_id, s.course_id, s.section_id
)
SELECT sc.cds_code,
       CASE WHEN list_contains($areas, c.ag_area) THEN upper(c.ag_area) END AS graduation_requirements,
       c.subject_area, c.title, c.course_id,
       CASE WHEN max(sec.terms) > 1 THEN 'Year' ELSE 'Term' END AS duration,
       CASE WHEN c.ag_area IS NOT NULL THEN 'Y' ELSE 'N' END AS academic, c.credits,
       CASE WHEN coalesce(c.honors, false) THEN 'Y' ELSE 'N' END AS honors, 'Y' AS offered,
       sc.school_type, $school_year AS school_year, c.state_course_code
FROM sec
JOIN school sc ON sc.school_id = sec.school_id
JOIN course c ON c.course_id = sec.course_id
WHERE sc.cds_code IS NOT NULL
  AND ($schools::VARCHAR[] IS NULL OR list_contains($schools::VARCHAR[], sc.school_id))
GROUP BY ALL
ORDER BY sc.cds_code, c.course_id;
