-- Every (offered course, list entry) pair whose normalised key equals: the SIS transcript
-- abbreviation or course id against the entry's abbreviations / course codes; `current` says
-- whether the entry is on the list for the school year.
-- ag_norm: every run of Unicode spaces (tabs and line breaks, no-break U+00A0 and U+202F, the
-- U+2000.. typographic spaces, ideographic U+3000, zero-width U+200B and U+FEFF) becomes one
-- space first, then the ends are trimmed (trim() alone removes only ' '), then upper case.
CREATE OR REPLACE TEMP MACRO ag_norm(x) AS
    nullif(upper(trim(regexp_replace(x, '[\s\x{0B}\x{1C}-\x{1F}\x{85}\p{Z}\x{200B}\x{FEFF}]+', ' ', 'g'))), '');
CREATE OR REPLACE TEMP TABLE ag_hit AS
WITH sis_key AS (
    SELECT school_id, course_id, ag_norm(transcript_abbrev) AS k FROM ag_offered
    WHERE list_contains($sis_keys, 'transcript_abbrev')
    UNION
    SELECT school_id, course_id, ag_norm(course_id) FROM ag_offered
    WHERE list_contains($sis_keys, 'course_id')
),
list_key AS (
    SELECT l.school_id, l.uc_course_id, l.title, l.ag_area, coalesce(l.honors, false) AS honors,
           list_contains($current_status, l.status)
               AND l.first_year <= $school_year AND coalesce(l.last_year, $school_year) >= $school_year AS current,
           ag_norm(c.code) AS k
    FROM ag_list l
    JOIN ag_list_code c USING (school_id, uc_course_id)
    WHERE list_contains($code_types, c.code_type)
)
SELECT DISTINCT s.school_id, s.course_id, l.uc_course_id, l.title AS list_title, l.ag_area AS list_area,
       l.honors AS list_honors, l.current
FROM sis_key s
JOIN list_key l ON l.school_id = s.school_id AND l.k = s.k;
