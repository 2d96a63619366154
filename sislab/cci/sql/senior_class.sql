-- The school years of regular (non-summer) calendars with the span of their terms, and the one
-- whose seniors are the current class: the earliest that has not ended by $today (under way, or
-- the next one when $today falls between school years). None when every calendar has ended.
WITH school_year AS (
    SELECT c.school_year, min(t.start_date) AS starts, max(t.end_date) AS ends
    FROM calendar AS c
    JOIN term AS t USING (calendar_id)
    WHERE NOT coalesce(c.summer, false)
    GROUP BY c.school_year
)
SELECT (SELECT max(school_year) FROM school_year) AS newest,
       (SELECT max(ends) FROM school_year) AS newest_ends,
       (SELECT school_year FROM school_year WHERE ends >= $today ORDER BY school_year LIMIT 1) AS current,
       (SELECT starts FROM school_year WHERE ends >= $today ORDER BY school_year LIMIT 1) AS starts,
       (SELECT ends FROM school_year WHERE ends >= $today ORDER BY school_year LIMIT 1) AS ends
