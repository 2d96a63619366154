-- The file's rows from the roster candidates of one or more profiles (temp table
-- cers_candidate): a group produced twice is merged (users joined, students once), students
-- without a 10-digit SSID or with an SSID that two students of the SIS share, and users
-- without a usable e-mail are left out (the build reports them), groups over $max_students are split into parts numbered 1, 2, ... (the Aeries
-- convention; a group that fits is part 1). Rows are sorted by school, group name, year:
-- each group contiguous, its users first. build.py numbers them in this order (cers_row).
-- Groups and their labels come from cers_group (groups.sql).
CREATE OR REPLACE TEMP TABLE cers_sorted AS
WITH listed AS (  -- each student once per group, and whether two profiles listed them
    SELECT school_id, group_base, student_id, min(profile) <> max(profile) AS shared
    FROM cers_candidate WHERE student_id IS NOT NULL
    GROUP BY school_id, group_base, student_id
),
member AS (
    SELECT l.*, s.state_id AS ssid, s.last_name, s.first_name
    FROM listed l JOIN student s ON s.student_id = l.student_id
    WHERE regexp_full_match(coalesce(s.state_id, ''), '\d{10}')
      AND s.state_id NOT IN (SELECT state_id FROM cers_shared_ssid)
),
size AS (
    SELECT school_id, group_base, count(*) AS students FROM member GROUP BY school_id, group_base
),
numbered AS (  -- parts of $max_students in name order; only large groups need the numbering sort
    SELECT m.*, 1 AS part
    FROM member m JOIN size z USING (school_id, group_base) WHERE z.students <= $max_students
    UNION ALL
    SELECT m.*, (row_number() OVER (PARTITION BY m.school_id, m.group_base
                                    ORDER BY m.last_name, m.first_name, m.student_id) - 1) // $max_students + 1
    FROM member m JOIN size z USING (school_id, group_base) WHERE z.students > $max_students
),
part AS (
    SELECT DISTINCT school_id, group_base, part FROM numbered
),
login AS (
    SELECT c.school_id, c.group_base, any_value(trim(st.email)) AS login, min(c.staff_id) AS staff_id,
           min(c.profile) <> max(c.profile) AS shared
    FROM cers_candidate c
    JOIN staff st ON st.staff_id = c.staff_id
    WHERE regexp_full_match(coalesce(trim(st.email), ''), $email)
    GROUP BY c.school_id, c.group_base, lower(trim(st.email))
),
file_row AS (
    SELECT g.cds, g.group_label || ' ' || n.part AS group_name, g.subject_code, n.ssid,
           NULL::VARCHAR AS login, 1 AS kind, n.school_id, n.group_base, n.student_id, NULL::VARCHAR AS staff_id,
           n.shared
    FROM numbered n JOIN cers_group g USING (school_id, group_base)
    UNION ALL
    SELECT g.cds, g.group_label || ' ' || p.part, g.subject_code, NULL, l.login, 0, p.school_id, p.group_base, NULL,
           l.staff_id, l.shared
    FROM part p JOIN login l USING (school_id, group_base) JOIN cers_group g USING (school_id, group_base)
)
SELECT group_name, cds AS school_natural_id, $school_year::VARCHAR AS school_year, subject_code,
       ssid AS student_ssid, login AS group_user_login, school_id, group_base, student_id, staff_id, shared
FROM file_row
ORDER BY cds NULLS LAST, group_name, kind, login, ssid

