-- Course history (through the school year) of the students in the Student file: one row per
-- student x course x term. Transfer marks carry no CDS code and the ATP placeholder.
SELECT t.state_id, sc.cds_code, coalesce(sc.atp_code, $atp_none) AS atp_code,
       coalesce(sc.name, 'Transfer credit') AS institution, 'N' AS in_progress, m.grade,
       (m.school_year - 1) || '-' || m.school_year AS school_year_text, m.term_code,
       coalesce($term_to[list_position($term_from, m.term_code)], m.term_code) AS term,
       m.term_type, m.course_id, c.transcript_abbrev, upper(c.ag_area) AS ag_area,
       CASE WHEN c.ag_area IS NOT NULL THEN 'Y' ELSE 'N' END AS academic,
       CASE WHEN ag_dual_enrollment(c.dual_credit, c.nonstandard_level, $dual_levels) THEN 'Y' ELSE 'N' END AS dual,
       m.credits_attempted, m.credits_earned, m.mark
FROM mark m
JOIN ag_transcript_student t USING (student_id)
JOIN course c USING (course_id)
LEFT JOIN school sc ON sc.school_id = m.school_id
WHERE m.school_year <= $school_year
ORDER BY m.student_id, m.school_year, m.term_code, m.course_id;
