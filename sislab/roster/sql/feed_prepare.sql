-- The people, classes and memberships of the feed, as temp tables the file queries read.
-- Parameters: $school_year, $as_of (memberships ended before it are left out),
-- $homeroom_only, $schools (NULL = every active school), $grade_from/$grade_to.
-- A stable sourcedId: a UUID-shaped md5 of district id, kind and local id (same input, same id).
SET VARIABLE rf_district = (SELECT district_id FROM district);
-- rf_uuid keeps it a UUID (16 bytes, sorting in the order of its text) for the large files.
CREATE OR REPLACE TEMP MACRO rf_uuid(kind, local_id) AS md5(getvariable('rf_district') || '|' || kind || '|' || local_id)::UUID;
CREATE OR REPLACE TEMP MACRO rf_id(kind, local_id) AS rf_uuid(kind, local_id)::VARCHAR;
CREATE OR REPLACE TEMP MACRO rf_org(school_id) AS rf_id('org', getvariable('rf_district') || '/' || school_id);
SET VARIABLE rf_grade_from = $grade_from;
SET VARIABLE rf_grade_to = $grade_to;
CREATE OR REPLACE TEMP MACRO rf_grade(g) AS getvariable('rf_grade_to')[list_position(getvariable('rf_grade_from'), g)];

-- Each entity's sourcedId is made here, once: the file queries read it (sid columns).
CREATE OR REPLACE TEMP TABLE rf_school AS
SELECT school_id, name, coalesce(cds_code, school_id) AS identifier, rf_org(school_id) AS sid,
       row_number() OVER (ORDER BY school_id)::INTEGER AS place  -- in school id order
FROM school
WHERE coalesce(active, true) AND ($schools::VARCHAR[] IS NULL OR list_contains($schools::VARCHAR[], school_id));
-- A user's orgSourcedIds: the sids of its schools in school id order, from the list of its schools'
-- places (sorting each user's short list of integers is cheaper than an aggregate ORDER BY over
-- every user, and a place is the index of the school's sid: no search of the schools' ids).
SET VARIABLE rf_school_sids = (SELECT list(sid ORDER BY place) FROM rf_school);
CREATE OR REPLACE TEMP MACRO rf_org_sids(places) AS array_to_string(list_transform(list_sort(places),
    lambda p: getvariable('rf_school_sids')[p]), ',');

-- `line`: the class's line in classes.csv (the file is in school, section order).
CREATE OR REPLACE TEMP TABLE rf_class AS
SELECT s.section_id, s.school_id, s.course_id, s.calendar_id, s.period, coalesce(s.homeroom, false) AS homeroom,
       rf_uuid('class', s.section_id) AS sid, f.sid AS school_sid, f.place AS school_place,
       (row_number() OVER (ORDER BY s.school_id, s.section_id) + 1)::INTEGER AS line
FROM section s
JOIN calendar k ON k.calendar_id = s.calendar_id
JOIN rf_school f ON f.school_id = s.school_id
WHERE k.school_year = $school_year AND (NOT $homeroom_only OR coalesce(s.homeroom, false));

-- Each class's terms, as sessions the feed writes (the terms of the classes' calendars): its
-- section_term rows that are terms of its calendar; a section with none of those (section_term
-- is optional) meets in every term of its calendar. A code that is not a term of the calendar
-- (the importer takes any code) is kept with known = false: the build names it. `listed`: the
-- row is the section's own, not its calendar's.
CREATE OR REPLACE TEMP TABLE rf_class_term AS
WITH listed AS (
    SELECT c.section_id, c.calendar_id, st.term_code, t.term_code IS NOT NULL AS known, true AS listed
    FROM rf_class c
    JOIN section_term st USING (section_id)
    LEFT JOIN term t ON t.calendar_id = c.calendar_id AND t.term_code = st.term_code
)
SELECT * FROM listed
UNION ALL
SELECT c.section_id, c.calendar_id, t.term_code, true, false
FROM rf_class c JOIN term t USING (calendar_id)
WHERE c.section_id NOT IN (SELECT section_id FROM listed WHERE known);

CREATE OR REPLACE TEMP TABLE rf_member AS
SELECT r.section_id, r.student_id, r.start_date, r.end_date
FROM roster r
JOIN rf_class USING (section_id)
WHERE r.end_date IS NULL OR r.end_date >= $as_of;

CREATE OR REPLACE TEMP TABLE rf_teaching AS
SELECT t.section_id, t.staff_id, coalesce(t.primary_teacher, false) AS primary_teacher, t.start_date, t.end_date
FROM section_staff t
JOIN rf_class USING (section_id)
JOIN staff st USING (staff_id)
WHERE coalesce(st.active, true) AND (t.end_date IS NULL OR t.end_date >= $as_of);

-- Students enrolled in a school of the feed on the day, or in one of its classes.
CREATE OR REPLACE TEMP TABLE rf_student AS
WITH school_of AS (
    SELECT e.student_id, f.place FROM enrollment e JOIN rf_school f USING (school_id)
    WHERE e.start_date <= $as_of AND (e.end_date IS NULL OR e.end_date >= $as_of)
    UNION
    SELECT m.student_id, c.school_place FROM rf_member m JOIN rf_class c USING (section_id)
)
SELECT student_id, rf_uuid('student', student_id) AS sid, rf_org_sids(list(place)) AS org_sids
FROM school_of
GROUP BY student_id;

CREATE OR REPLACE TEMP TABLE rf_teacher AS
SELECT staff_id, rf_uuid('staff', staff_id) AS sid, rf_org_sids(list(school_place)) AS org_sids
FROM (SELECT DISTINCT t.staff_id, c.school_place FROM rf_teaching t JOIN rf_class c USING (section_id))
GROUP BY staff_id;
