-- One row per course of the universe: the list entries it matches this year and its one
-- reason when not aligned (NULL = aligned). Reasons are decided in the order of rule.toml.
WITH cur AS (
    SELECT school_id, course_id,
           count(DISTINCT list_area) AS areas,
           any_value(list_area) AS list_area,
           string_agg(DISTINCT uc_course_id, ' ' ORDER BY uc_course_id) AS uc_course_ids
    FROM ag_hit WHERE current GROUP BY ALL
),
fit AS (
    SELECT h.school_id, h.course_id,
           bool_or(h.list_honors = o.honors) AS honors_fit
    FROM ag_hit h JOIN ag_offered o USING (school_id, course_id)
    WHERE h.current GROUP BY ALL
),
seen AS (SELECT DISTINCT school_id, course_id FROM ag_hit)
SELECT o.school_id, o.course_id, o.title, o.transcript_abbrev, o.ag_area, o.honors, o.marks,
       c.uc_course_ids, c.list_area,
       CASE
           WHEN s.course_id IS NULL THEN 'NO_MATCH'
           WHEN c.course_id IS NULL THEN 'NOT_ON_LIST_THIS_YEAR'
           WHEN c.areas > 1 THEN 'AMBIGUOUS'
           WHEN $same_area AND c.list_area <> o.ag_area THEN 'SUBJECT_MISMATCH'
           WHEN $same_honors AND NOT f.honors_fit THEN 'HONORS_MISMATCH'
       END AS reason
FROM ag_offered o
LEFT JOIN seen s USING (school_id, course_id)
LEFT JOIN cur c USING (school_id, course_id)
LEFT JOIN fit f USING (school_id, course_id)
WHERE o.in_universe
ORDER BY o.school_id, o.course_id;
