-- The newest school year with in-district marks (the year transcripts report); else the newest calendar year.
SELECT coalesce((SELECT max(school_year) FROM mark WHERE school_id IS NOT NULL),
                (SELECT max(school_year) FROM calendar));
