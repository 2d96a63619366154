-- Entries on a school's list for the year that no course the school offered matches:
-- "on the list, not taught" (candidates to archive in the portal).
SELECT l.school_id, l.uc_course_id, l.title, l.ag_area, coalesce(l.honors, false) AS honors, l.status,
       string_agg(c.code, '; ' ORDER BY c.code) AS codes
FROM ag_list l
LEFT JOIN ag_list_code c USING (school_id, uc_course_id)
WHERE list_contains($current_status, l.status)
  AND l.first_year <= $school_year AND coalesce(l.last_year, $school_year) >= $school_year
  AND ($schools::VARCHAR[] IS NULL OR list_contains($schools::VARCHAR[], l.school_id))
  AND NOT EXISTS (SELECT 1 FROM ag_hit h WHERE h.school_id = l.school_id AND h.uc_course_id = l.uc_course_id)
GROUP BY ALL
ORDER BY l.school_id, l.title;
