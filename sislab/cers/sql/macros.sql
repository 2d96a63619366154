-- Building blocks of the roster queries (temporary macros on the snapshot connection).

-- Primary enrollments of the chosen schools on as_of: begun by then (in this school year or an
-- earlier one: an open span carries on) and not ended before it (the end date is a school day).
-- A student who changes schools is at the one school of the day; as_of is in the file's school
-- year, so this is the school year's roster.
CREATE OR REPLACE TEMP MACRO cers_enrolled(schools, as_of) AS TABLE
SELECT e.school_id, e.student_id, e.grade
FROM enrollment e
WHERE list_contains(schools, e.school_id)
  AND e.enrollment_type = 'primary'
  AND e.start_date <= as_of
  AND coalesce(e.end_date, as_of) >= as_of;

-- Sections of the chosen schools in the school year whose terms have not all ended by as_of
-- (a section without term rows lasts as long as its calendar).
CREATE OR REPLACE TEMP MACRO cers_live_section(schools, school_year, as_of) AS TABLE
WITH last_day AS (
    SELECT s.section_id,
           coalesce(max(t.end_date) FILTER (WHERE st.term_code IS NOT NULL), max(t.end_date)) AS last_day
    FROM section s
    JOIN calendar cal ON cal.calendar_id = s.calendar_id
    JOIN term t ON t.calendar_id = s.calendar_id
    LEFT JOIN section_term st ON st.section_id = s.section_id AND st.term_code = t.term_code
    WHERE list_contains(schools, s.school_id) AND cal.school_year = school_year
    GROUP BY s.section_id
)
SELECT s.*
FROM section s
JOIN last_day d ON d.section_id = s.section_id
WHERE d.last_day >= as_of;

