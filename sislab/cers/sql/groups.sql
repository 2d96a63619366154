-- One line per group of the file (school, group base) from the roster candidates: its subject,
-- its school's CDS code, and the label its rows carry. Names that are equal ignoring case,
-- surrounding spaces and accents become one group in CERS (RDW compares the group key
-- ignoring case; the warehouse's collation does the rest), so every group after the first of
-- such a set gets " (2)", " (3)", ... after its base; preflight.sql and build.py report a
-- set that the suffix cannot tell apart. Schools without a 14-digit CDS code have no lines
-- here (build.py names them once each).
CREATE OR REPLACE TEMP TABLE cers_group AS
WITH grp AS (
    SELECT c.school_id, c.group_base, min(c.subject_code) AS subject_code, any_value(sc.cds_code) AS cds
    FROM cers_candidate c
    JOIN school sc ON sc.school_id = c.school_id
    WHERE regexp_full_match(coalesce(sc.cds_code, ''), '\d{14}')
    GROUP BY c.school_id, c.group_base
),
folded AS (
    SELECT *, row_number() OVER (PARTITION BY lower(strip_accents(trim(group_base)))
                                 ORDER BY group_base, school_id) AS nth
    FROM grp
)
SELECT school_id, group_base, subject_code, cds,
       CASE WHEN nth = 1 THEN group_base ELSE group_base || ' (' || nth || ')' END AS group_label,
       nth
FROM folded
