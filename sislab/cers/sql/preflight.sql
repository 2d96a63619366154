-- Pre-flight checks of a CERS file's rows (temp table cers_row; row_no counts data rows from
-- 1, as CERS's "Row: <n>" does). One row per finding: row_no, severity, rule, group_name,
-- message. CERS rejects the whole file on any 'error'.
-- The rules RDW's upload validator applies (rdw.py transcribes it; `sislab cers check` runs
-- that) are here too, computed on aggregates, so that the build refuses such rows cheaply:
-- required, cds_code, school_year, subject_code, subject_conflict, group_over_limit,
-- group_not_contiguous, school_not_contiguous (build.RDW_RULES). The name rules are the
-- warehouse's (a name fits its column); SSIDs, logins, duplicates and empty rows are
-- warnings: RDW accepts them.
-- Checks run on aggregates (per group, per name, per school), which is what keeps this fast
-- on a district's file; only the rare groups that break a rule are looked at row by row.
WITH r AS (
    SELECT row_no,
           coalesce(group_name, '') AS g, coalesce(school_natural_id, '') AS cds,
           coalesce(school_year, '') AS yr, trim(coalesce(student_ssid, '')) AS ssid,
           trim(coalesce(group_user_login, '')) AS login,
           nullif(lower(trim(coalesce(subject_code, ''))), '') AS subj, subject_code  -- blank: no subject stated
    FROM cers_row
),
grp AS (  -- one line per group (school, name, year): where its rows are, students, subjects
    SELECT cds, g, yr, min(row_no) AS first_row, max(row_no) AS last_row, count(*) AS n,
           count(*) FILTER (WHERE ssid <> '') AS students, min(subj) <> max(subj) AS mixed_subjects,
           arg_min(subj, row_no) FILTER (WHERE subj IS NOT NULL) AS group_subj
    FROM r GROUP BY cds, g, yr
),
school AS (  -- the per-school, per-name and per-code lines come from the group lines (few)
    SELECT cds, min(first_row) AS first_row, max(last_row) AS last_row, sum(n) AS n FROM grp GROUP BY cds
),
name AS (  -- name rules are checked once per name, reported at its first row
    SELECT g, min(first_row) AS row_no, sum(n) AS n FROM grp GROUP BY g
),
value AS (  -- the same for school codes and years
    SELECT cds, yr, min(first_row) AS row_no, arg_min(g, first_row) AS g, sum(n) AS n FROM grp GROUP BY cds, yr
),
odd_group AS (  -- rows of the few groups that break a group rule, with their order inside the group
    SELECT r.*, grp.first_row, grp.group_subj, grp.students,
           lag(r.row_no) OVER (PARTITION BY r.cds, r.g, r.yr ORDER BY r.row_no) AS previous_row,
           count(*) FILTER (WHERE r.ssid <> '') OVER (PARTITION BY r.cds, r.g, r.yr ORDER BY r.row_no) AS students_so_far
    FROM r JOIN grp USING (cds, g, yr)
    WHERE grp.last_row - grp.first_row + 1 <> grp.n OR grp.students > $max_students OR grp.mixed_subjects
),
odd_school AS (
    SELECT r.row_no, r.g, r.cds, lag(r.row_no) OVER (PARTITION BY r.cds ORDER BY r.row_no) AS previous_row
    FROM r JOIN school USING (cds) WHERE school.last_row - school.first_row + 1 <> school.n
),
twice AS (  -- a hash seen twice: a cheap sieve, so only those few rows are grouped exactly
    SELECT hash(cds, g, yr, ssid) AS h FROM r WHERE ssid <> '' GROUP BY h HAVING count(*) > 1
),
duplicate AS (
    SELECT 'student' AS kind, g, ssid AS who, list(row_no ORDER BY row_no) AS rows
    FROM r WHERE ssid <> '' AND hash(cds, g, yr, ssid) IN (SELECT h FROM twice)
    GROUP BY cds, g, yr, ssid HAVING count(*) > 1
    UNION ALL
    SELECT 'user', g, min(login), list(row_no ORDER BY row_no)
    FROM r WHERE login <> '' GROUP BY cds, g, yr, lower(login) HAVING count(*) > 1
),
folded AS (
    SELECT min(first_row) AS row_no, list(DISTINCT g ORDER BY g) AS names
    FROM grp GROUP BY cds, yr, lower(strip_accents(trim(g))) HAVING count(DISTINCT g) > 1
)
SELECT row_no, 'error' AS severity, 'required' AS rule, g AS group_name,
       'group_name, school_natural_id and school_year are required on every row; missing: '
       || concat_ws(', ', CASE WHEN trim(g) = '' THEN 'group_name' END,
                    CASE WHEN trim(cds) = '' THEN 'school_natural_id' END,
                    CASE WHEN trim(yr) = '' THEN 'school_year' END) AS message
FROM r WHERE (cds, g, yr) IN (  -- trimmed once per group, not per row
    SELECT (cds, g, yr) FROM grp WHERE trim(g) = '' OR trim(cds) = '' OR trim(yr) = '')
UNION ALL
SELECT row_no, 'error', 'group_name_length', g,
       'group name is ' || length(g) || ' characters; CERS allows ' || $max_name || rows_text
FROM (SELECT *, CASE WHEN n > 1 THEN ' (' || n || ' rows)' ELSE '' END AS rows_text FROM name)
WHERE length(g) > $max_name
UNION ALL
SELECT row_no, 'error', 'group_name_backslash', g, 'group name contains a backslash (' || n || ' rows)'
FROM name WHERE contains(g, chr(92))
UNION ALL
SELECT row_no, 'error', 'group_name_control', g,  -- C0, DEL, C1, line and paragraph separators
       'group name contains a control character or line break (' || n || ' rows)'
FROM name WHERE regexp_matches(g, '[\x00-\x1f\x7f-\x9f\x{2028}\x{2029}]')
UNION ALL
SELECT row_no, 'error', 'group_name_bmp', g,
       'group name contains a character outside the Basic Multilingual Plane, e.g. an emoji (' || n || ' rows)'
FROM name WHERE regexp_matches(g, '[\x{10000}-\x{10FFFF}]')
UNION ALL
SELECT row_no, 'warning', 'group_name_untrimmed', g,
       'group name has leading or trailing spaces; CERS trims them (' || n || ' rows)'
FROM name WHERE g <> trim(g) AND trim(g) <> ''
UNION ALL
SELECT row_no, 'warning', 'group_name_formula', g,
       'group name starts with ' || left(g, 1) || ': a spreadsheet opening the file reads it as a formula'
       || ' (CERS takes it as text; the file is left as it is) (' || n || ' rows)'
FROM name WHERE left(g, 1) IN ('=', '+', '-', '@')
UNION ALL
SELECT row_no, 'error', 'cds_code', g,
       'school_natural_id ' || cds || ' is not a 14-digit CDS code (' || n || ' rows)'
FROM value WHERE trim(cds) <> '' AND NOT regexp_full_match(cds, '\d{14}')
UNION ALL
SELECT row_no, 'error', 'school_year', g,
       'school_year ' || yr || ' is not an end year as a plain integer, 2024-25 is 2025 (' || n || ' rows)'
FROM value WHERE trim(yr) <> '' AND NOT regexp_full_match(yr, '\d{4}')
UNION ALL
SELECT row_no, 'error', 'subject_code', g, 'subject_code ' || subject_code || ' is not ELA, Math, All or blank'
FROM r WHERE subj NOT IN ('ela', 'math', 'all')
UNION ALL
SELECT row_no, 'error', 'subject_conflict', g,
       'group already has subject ' || group_subj || ' (Row: ' || first_row || '); a group has one subject'
FROM odd_group WHERE subj <> group_subj AND subj IN ('ela', 'math', 'all')
UNION ALL
SELECT row_no, 'warning', 'ssid', g, 'student_ssid ' || ssid || ' is not a 10-digit SSID (CERS does not check:'
       || ' it makes a placeholder student)'
FROM r WHERE ssid <> '' AND NOT regexp_full_match(ssid, '\d{10}')
UNION ALL
SELECT row_no, 'warning', 'empty_row', g, 'row has neither a student_ssid nor a group_user_login (CERS accepts'
       || ' it: it only names the group)'
FROM r WHERE ssid = '' AND login = ''
UNION ALL
SELECT row_no, 'warning', 'login', g, 'group_user_login ' || login || ' is not an e-mail address (CERS does'
       || ' not check: no one can sign in with it)'
FROM r WHERE login <> '' AND NOT regexp_full_match(login, $email)
UNION ALL
SELECT unnest(rows[2:]), 'warning', 'duplicate_' || kind, g,
       kind || ' ' || who || ' is already in this group at Row: ' || rows[1]
       || CASE kind WHEN 'student' THEN ' (CERS accepts it; the row counts toward the 200)' ELSE ' (CERS accepts it)' END
FROM duplicate
UNION ALL
SELECT row_no, 'error', 'group_over_limit', g,
       'group has ' || students || ' student rows; CERS allows ' || $max_students || ' (split it)'
FROM odd_group WHERE ssid <> '' AND students_so_far = $max_students + 1
UNION ALL
SELECT min(row_no), 'error', 'group_not_contiguous', g,
       'rows of this group are split by other rows (first at Row: ' || min(first_row)
       || '); sort by school, group, year'
FROM odd_group WHERE row_no - previous_row > 1 GROUP BY cds, g, yr
UNION ALL
SELECT min(row_no), 'error', 'school_not_contiguous', arg_min(g, row_no),
       'rows of school ' || cds || ' are split by other schools'' rows; sort by school, group, year'
FROM odd_school WHERE row_no - previous_row > 1 GROUP BY cds
UNION ALL
SELECT row_no, 'warning', 'group_name_collision', names[1],
       'group names ' || array_to_string(names, ' / ') || ' differ only by case, spaces or accents:'
       || ' CERS makes them one group'
FROM folded
ORDER BY 1, 3
