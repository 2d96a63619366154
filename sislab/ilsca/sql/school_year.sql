-- ilsca_school_year: School Year (the end year) of each calendar as written, cut to its
-- width: once per calendar rather than once per record.
CREATE OR REPLACE TEMP TABLE ilsca_school_year AS
SELECT calendar_id, left(school_year::VARCHAR, $width_school_year) AS school_year
FROM calendar;
