-- Courses a school offered that match an entry on its list for the year but that the SIS
-- does not flag A-G: students lose A-G credit until the flag is set.
SELECT o.school_id, o.course_id, o.title, o.transcript_abbrev, o.marks,
       string_agg(DISTINCT h.list_area, ' ') AS list_area,
       string_agg(DISTINCT h.uc_course_id, ' ') AS uc_course_ids
FROM ag_offered o
JOIN ag_hit h USING (school_id, course_id)
WHERE h.current AND (o.ag_area IS NULL OR NOT list_contains($areas, o.ag_area))
GROUP BY ALL
ORDER BY o.school_id, o.course_id;
