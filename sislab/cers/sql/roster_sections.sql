-- Section rosters: one group per section, named "<school> <Last First of the primary teacher>
-- <period | section | course title>" by the profile's pattern. A section without a current
-- teacher is named with "Section <id>" in place of the teacher, so that no two such classes
-- merge, and gives a 'no teacher' row (no student, no staff) that build.py reports.
--   secondary:           every section (filters: department, subject area, course, teacher,
--                        only primary classes of schools that track them); all its teachers.
--   elementary_teacher:  non-flex schools: the students' class (homeroom / primary class) and
--                        its primary teacher; flex schools: the master schedule, every staff
--                        member on the section.
WITH chosen AS (
    SELECT s.section_id, s.school_id, s.period, c.title AS course_title, sc.flex_schedule
    FROM cers_live_section($schools, $school_year, $as_of) s
    JOIN course c ON c.course_id = s.course_id
    JOIN school sc ON sc.school_id = s.school_id
    WHERE ($roster_type = 'secondary' OR coalesce(sc.flex_schedule, false)
           OR coalesce(s.homeroom, false) OR coalesce(s.primary_class, false))
      AND (len($departments) = 0 OR list_contains($departments, c.department))
      AND (len($subject_areas) = 0 OR list_contains($subject_areas, c.subject_area))
      AND (len($courses) = 0 OR list_contains($courses, c.course_id))
      AND (NOT $primary_only
           OR (coalesce(s.primary_class, false) AND coalesce(sc.tracks_primary_classes, false)))
),
teacher AS (  -- teachers on a chosen section on as_of; rank 1 (the primary teacher) names the group
    SELECT ss.section_id, ss.staff_id, st.last_name, st.first_name, ch.flex_schedule,
           row_number() OVER (PARTITION BY ss.section_id
                              ORDER BY coalesce(ss.primary_teacher, false) DESC, ss.staff_id) AS rank
    FROM chosen ch
    JOIN section_staff ss ON ss.section_id = ch.section_id
    JOIN staff st ON st.staff_id = ss.staff_id
    WHERE coalesce(ss.end_date, $as_of) >= $as_of
),
getting AS (  -- who gets the group: every teacher, or for non-flex elementary the primary one
    SELECT * FROM teacher
    WHERE $roster_type = 'secondary' OR coalesce(flex_schedule, false) OR rank = 1
),
named AS (
    SELECT ch.section_id, ch.school_id, t.section_id IS NULL AS teacherless,
           concat_ws(' ', ch.school_id,
                     CASE WHEN t.section_id IS NULL THEN 'Section ' || ch.section_id
                          ELSE t.last_name || ' ' || t.first_name END,
                     CASE $pattern WHEN 'period' THEN ch.period
                                   WHEN 'section' THEN ch.section_id
                                   WHEN 'course' THEN ch.course_title END) AS group_base
    FROM chosen ch
    LEFT JOIN teacher t ON t.section_id = ch.section_id AND t.rank = 1
    WHERE len($teachers) = 0
       OR EXISTS (SELECT 1 FROM getting f WHERE f.section_id = ch.section_id AND list_contains($teachers, f.staff_id))
)
SELECT n.school_id, n.group_base, r.student_id, NULL::VARCHAR AS staff_id, NULL::VARCHAR AS role, n.section_id
FROM named n
JOIN roster r ON r.section_id = n.section_id AND coalesce(r.end_date, $as_of) >= $as_of
UNION ALL
SELECT n.school_id, n.group_base, NULL, t.staff_id, 'teacher', n.section_id
FROM named n
JOIN getting t ON t.section_id = n.section_id
WHERE EXISTS (SELECT 1 FROM roster r WHERE r.section_id = n.section_id AND coalesce(r.end_date, $as_of) >= $as_of)
UNION ALL
SELECT n.school_id, n.group_base, NULL, NULL, 'no teacher', n.section_id
FROM named n
WHERE n.teacherless
  AND EXISTS (SELECT 1 FROM roster r WHERE r.section_id = n.section_id AND coalesce(r.end_date, $as_of) >= $as_of)
