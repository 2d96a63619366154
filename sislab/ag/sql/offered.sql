-- Courses each school offered in the school year (a section with students, or an in-district
-- mark), with the SIS catalog fields the A-G check compares; `in_universe` says whether the
-- course counts for the alignment rate (flagged A-G, not dual enrolment; at a middle school only
-- the areas UC counts in grades 7-8). Marks are read through ag_mark (marks.sql).
CREATE OR REPLACE TEMP TABLE ag_offered AS
WITH offered AS (
    SELECT s.school_id, s.course_id
    FROM section s
    JOIN calendar k USING (calendar_id)
    WHERE $offered_by_section AND k.school_year = $school_year
      AND EXISTS (SELECT 1 FROM roster r WHERE r.section_id = s.section_id)
    UNION
    SELECT m.school_id, m.course_id
    FROM ag_mark m
    WHERE $offered_by_mark AND m.school_year = $school_year AND m.school_id IS NOT NULL
      AND (NOT $in_district_only OR m.taught_in_district)
),
marks AS (
    SELECT m.school_id, m.course_id, count(*) AS marks
    FROM ag_mark m
    WHERE m.school_year = $school_year AND m.school_id IS NOT NULL
      AND (NOT $in_district_only OR m.taught_in_district)
    GROUP BY ALL
)
SELECT o.school_id, c.course_id, c.title, c.transcript_abbrev, c.ag_area,
       coalesce(c.honors, false) AS honors, coalesce(k.marks, 0) AS marks,
       coalesce(list_contains(CASE WHEN $middle_school_rule AND sc.high_grade <= $middle_high_grade THEN $middle_areas ELSE $areas END,
                              c.ag_area), false)
           AND NOT ($exclude_dual_enrollment AND ag_dual_enrollment(c.dual_credit, c.nonstandard_level, $dual_levels))
           AS in_universe
FROM offered o
JOIN course c USING (course_id)
JOIN school sc ON sc.school_id = o.school_id
LEFT JOIN marks k ON k.school_id = o.school_id AND k.course_id = o.course_id
WHERE $schools::VARCHAR[] IS NULL OR list_contains($schools::VARCHAR[], o.school_id);
