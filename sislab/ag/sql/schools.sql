-- Schools the report shows: every school with an A-G list or an A-G course offered.
-- Under the middle-school rule (off by default), a middle school (highest grade at most
-- middle_high_grade) is rated only when asked.
SELECT s.school_id, s.name, s.cds_code, $middle_school_rule AND s.high_grade <= $middle_high_grade AS middle
FROM school s
WHERE (s.school_id IN (SELECT school_id FROM ag_list) OR s.school_id IN (SELECT school_id FROM ag_offered WHERE in_universe))
  AND ($schools::VARCHAR[] IS NULL OR list_contains($schools::VARCHAR[], s.school_id))
ORDER BY s.school_id;
