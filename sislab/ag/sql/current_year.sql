-- The current school year: the newest year whose (regular) calendar has a term begun by $today;
-- else the newest calendar year.
SELECT coalesce(
    (SELECT max(k.school_year) FROM calendar k JOIN term t USING (calendar_id)
     WHERE NOT coalesce(k.summer, false) AND t.start_date <= $today),
    (SELECT max(school_year) FROM calendar));
