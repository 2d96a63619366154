-- Status, change and colour per unit, from the student results registered as the views
-- cci_rollup_current and cci_rollup_prior. A unit is a school ($by_school) or the district,
-- for all students ('ALL') or, when $by_group, for each student group.
-- Status is percent Prepared, rounded half up to one decimal in exact integer tenths;
-- change is the difference of the two rounded statuses.
WITH scored AS (  -- counted students only (not the fifth-year graduates who are not Prepared)
    SELECT 'current' AS year, student_id, school_id, cohort_year, level FROM cci_rollup_current WHERE counted
    UNION ALL
    SELECT 'prior', student_id, school_id, cohort_year, level FROM cci_rollup_prior WHERE counted
),
student_groups AS (  -- EL and SWD: at any time during the cohort years (cohort.ever_el / ever_swd) or now
    SELECT s.student_id,
           s.cohort_year,
           unnest(list_filter([
               CASE WHEN st.el OR coalesce(c.ever_el, false) THEN 'EL' END,
               CASE WHEN st.ltel THEN 'LTEL' END,
               CASE WHEN st.sed THEN 'SED' END,
               CASE WHEN st.swd OR coalesce(c.ever_swd, false) THEN 'SWD' END,
               CASE WHEN st.foster THEN 'FOS' END,
               CASE WHEN st.homeless THEN 'HOM' END,
               CASE WHEN st.hispanic THEN $hispanic_group ELSE $race_groups[list_position($race_codes, st.race_code)] END
           ], lambda g: g IS NOT NULL)) AS student_group
    FROM (SELECT DISTINCT student_id, cohort_year FROM scored) AS s
    JOIN student AS st USING (student_id)
    LEFT JOIN cohort AS c USING (student_id, cohort_year)
    WHERE $by_group
),
unit_rows AS (  -- each student once for all students ('ALL'), or once per group they are in
    SELECT year, CASE WHEN $by_school THEN school_id END AS school_id, 'ALL' AS student_group, level
    FROM scored
    WHERE NOT $by_group
    UNION ALL
    SELECT s.year, CASE WHEN $by_school THEN s.school_id END, g.student_group, s.level
    FROM scored AS s
    JOIN student_groups AS g USING (student_id, cohort_year)
),
counts AS (
    SELECT school_id,
           student_group,
           count(*) FILTER (WHERE year = 'current') AS n,
           count(*) FILTER (WHERE year = 'current' AND level = 'Prepared') AS prepared,
           count(*) FILTER (WHERE year = 'current' AND level = 'Approaching Prepared') AS approaching,
           count(*) FILTER (WHERE year = 'prior') AS prior_n,
           count(*) FILTER (WHERE year = 'prior' AND level = 'Prepared') AS prior_prepared
    FROM unit_rows
    GROUP BY ALL
    HAVING n > 0
),
rated AS (
    SELECT *,
           (2000 * prepared + n) // (2 * n) AS tenths,
           CASE WHEN prior_n > 0 THEN (2000 * prior_prepared + prior_n) // (2 * prior_n) END AS prior_tenths,
           CASE WHEN NOT $by_school AND list_contains($lea_group_colour_groups, student_group)
                THEN $lea_group_colour_n ELSE $colour_n END AS colour_n
    FROM counts
),
leveled AS (
    SELECT *,
           tenths - prior_tenths AS change_tenths,
           list_position(list_transform($status_floors, lambda f: tenths >= f), true) AS status_index,
           list_position(list_transform($change_floors, lambda f: tenths - prior_tenths >= f), true) AS change_index
    FROM rated
),
named AS (
    SELECT *,
           $status_names[status_index] AS status_level,
           CASE WHEN n < $significant_n THEN $change_small_n[change_index]
                ELSE $change_names[change_index] END AS change_level
    FROM leveled
)
SELECT school_id,
       student_group,
       n AS denominator,
       CASE WHEN n >= $shown_n THEN prepared END AS prepared,
       CASE WHEN n >= $shown_n THEN approaching END AS approaching,
       CASE WHEN n >= $shown_n THEN (tenths / 10)::DECIMAL(4, 1) END AS status,
       CASE WHEN n >= $shown_n THEN status_level END AS status_level,
       prior_n AS prior_denominator,
       CASE WHEN n >= $shown_n AND prior_n >= $shown_n THEN (prior_tenths / 10)::DECIMAL(4, 1) END AS prior_status,
       CASE WHEN n >= $shown_n AND prior_n >= $shown_n THEN (change_tenths / 10)::DECIMAL(4, 1) END AS change,
       CASE WHEN n >= $shown_n AND prior_n >= $shown_n THEN change_level END AS change_level,
       CASE WHEN n >= colour_n AND prior_n >= colour_n
            THEN $colour_grid[status_index][list_position($change_names, change_level)] END AS colour,
       CASE WHEN n < $shown_n THEN 'fewer than ' || $shown_n || ' students: not shown'
            WHEN n < colour_n THEN 'fewer than ' || colour_n || ' students: no colour'
            WHEN prior_n = 0 THEN 'no prior-year results: no change or colour'
            WHEN prior_n < $shown_n THEN 'fewer than ' || $shown_n || ' students last year: no change or colour'
            WHEN prior_n < colour_n THEN 'fewer than ' || colour_n || ' students last year: no colour'
       END AS note
FROM named
ORDER BY school_id, student_group
