-- The section_term codes that are not terms of the section's calendar (rf_class_term.known):
-- the class is written without them; the build names each one (SECTION_TERM_UNKNOWN).
SELECT c.line, c.sid::VARCHAR AS sourcedId, 'termSourcedIds' AS "column", u.term_code AS value,
       'section ' || c.section_id || ': term ' || u.term_code || ' is not a term of its calendar ' || c.calendar_id
       || CASE WHEN EXISTS (SELECT 1 FROM rf_class_term k WHERE k.section_id = c.section_id AND k.known AND k.listed)
               THEN '; the class is written with its other terms'
               ELSE '; the class is written with every term of the calendar' END AS message
FROM rf_class_term u JOIN rf_class c USING (section_id)
WHERE NOT u.known
ORDER BY c.line, u.term_code
