-- The class of current seniors: the school year of the latest regular (non-summer) calendar
-- whose first term has started; the class after the scored one when no calendar is loaded.
SELECT coalesce(
    max(c.school_year) FILTER (WHERE t.start_date <= current_date),
    max(c.school_year),
    $after_scored
)
FROM calendar c
JOIN term t USING (calendar_id)
WHERE NOT coalesce(c.summer, false)
