-- Titles of the entries on each school's list for the year (for fuzzy suggestions).
SELECT l.school_id, l.uc_course_id, l.title, l.ag_area,
       string_agg(c.code, '; ' ORDER BY c.code) AS codes
FROM ag_list l
LEFT JOIN ag_list_code c USING (school_id, uc_course_id)
WHERE list_contains($current_status, l.status)
  AND l.first_year <= $school_year AND coalesce(l.last_year, $school_year) >= $school_year
GROUP BY ALL;
