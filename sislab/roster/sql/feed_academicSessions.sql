WITH term_row AS (
    SELECT t.calendar_id, t.term_code, t.term_type, t.start_date, t.end_date, sc.name || ' ' || k.name AS name
    FROM term t JOIN calendar k USING (calendar_id) JOIN school sc ON sc.school_id = k.school_id
    WHERE t.calendar_id IN (SELECT calendar_id FROM rf_class)
)
SELECT rf_id('session', 'year/' || $school_year) AS sourcedId, ($school_year - 1) || '-' || $school_year AS title,
       'schoolYear' AS type, min(start_date) AS startDate, max(end_date) AS endDate, NULL AS parentSourcedId,
       $school_year AS schoolYear
FROM term_row
HAVING count(*) > 0
UNION ALL
SELECT rf_id('session', calendar_id || '/' || term_code), name || ' ' || term_code,
       coalesce($term_to[list_position($term_from, term_type)], 'term'), start_date, end_date,
       rf_id('session', 'year/' || $school_year), $school_year
FROM term_row
ORDER BY type, startDate, sourcedId
