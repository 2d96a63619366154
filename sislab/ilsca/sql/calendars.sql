-- Calendars for the editor: id, school, year, name, summer flag and the span of their terms.
SELECT c.calendar_id, c.school_id, s.name AS school_name, c.school_year, c.name,
       coalesce(c.summer, false) AS summer, min(t.start_date) AS first_day, max(t.end_date) AS last_day
FROM calendar AS c
JOIN school AS s USING (school_id)
LEFT JOIN term AS t USING (calendar_id)
WHERE $school::VARCHAR IS NULL OR c.school_id = $school::VARCHAR
GROUP BY ALL
ORDER BY c.school_year DESC, c.school_id, c.calendar_id
