-- A OneRoster 1.1 bulk feed (tables z_<file>, every cell text, with its line) as sislab tables.
-- Each statement makes o_<table>: the sislab columns as text, plus _file and _line (where the
-- row came from, for findings). Local ids: a school's, user's identifier, a course's courseCode,
-- a class's classCode; the sourcedId where those are blank.
CREATE OR REPLACE TEMP MACRO o_id(local_id, sourced_id) AS coalesce(nullif(trim(local_id), ''), sourced_id);
CREATE OR REPLACE TEMP MACRO o_grade(ceds) AS
    list_position(['TK', 'KG', '01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12'], trim(ceds)) - 2;
CREATE OR REPLACE TEMP MACRO o_first(refs) AS trim(string_split(refs, ',')[1]);

CREATE OR REPLACE TEMP TABLE o_org AS
SELECT sourcedId, o_id(identifier, sourcedId) AS local_id, name, type, identifier, line
FROM z_orgs WHERE coalesce(status, '') <> 'tobedeleted';

CREATE OR REPLACE TEMP TABLE o_user AS
WITH school_ids AS (SELECT list(sourcedId) AS ids FROM o_org WHERE type = 'school')
SELECT u.*, o_id(u.identifier, u.sourcedId) AS local_id,
       list_filter(list_transform(string_split(u.orgSourcedIds, ','), lambda x: trim(x)),
                   lambda x: list_contains(school_ids.ids, x)) AS schools
FROM z_users u, school_ids WHERE coalesce(u.status, '') <> 'tobedeleted';

-- Each class with its school, course and the school year of its first term.
CREATE OR REPLACE TEMP TABLE o_class AS
SELECT c.*, o_id(c.classCode, c.sourcedId) AS section_id, s.local_id AS school_id,
       (SELECT o_id(k.courseCode, k.sourcedId) FROM z_courses k WHERE k.sourcedId = c.courseSourcedId) AS course_id,
       list_transform(string_split(c.termSourcedIds, ','), lambda x: trim(x)) AS terms,
       (SELECT a.schoolYear FROM z_academicSessions a WHERE a.sourcedId = o_first(c.termSourcedIds)) AS school_year
FROM z_classes c JOIN o_org s ON s.sourcedId = c.schoolSourcedId
WHERE coalesce(c.status, '') <> 'tobedeleted';

CREATE OR REPLACE TEMP TABLE o_student_grade AS
SELECT u.sourcedId, u.local_id, o_grade(string_split(u.grades, ',')[1]) AS grade, u.schools
FROM o_user u WHERE u.role = 'student';

CREATE OR REPLACE TEMP TABLE o_district AS
SELECT local_id AS district_id, name,
       CASE WHEN regexp_full_match(identifier, '\d{7}') THEN 'CA'
            WHEN regexp_full_match(identifier, '\d{11}[0-9A-Z]{4}') THEN 'IL' END AS state,
       CASE WHEN regexp_full_match(identifier, '\d{7}') THEN identifier END AS cds_code,
       CASE WHEN regexp_full_match(identifier, '\d{11}[0-9A-Z]{4}') THEN identifier END AS rcdts,
       'orgs.csv' AS _file, line AS _line
FROM o_org WHERE type = 'district';

CREATE OR REPLACE TEMP TABLE o_school AS
WITH grades AS (
    SELECT s.sourcedId, min(g.grade) AS lo, max(g.grade) AS hi
    FROM o_org s JOIN o_student_grade g ON list_contains(g.schools, s.sourcedId)
    WHERE g.grade >= -1 GROUP BY s.sourcedId
)
SELECT s.local_id AS school_id, s.name,
       CASE WHEN regexp_full_match(s.identifier, '\d{14}') THEN s.identifier END AS cds_code,
       CASE WHEN regexp_full_match(s.identifier, '\d{11}[0-9A-Z]{4}') THEN s.identifier END AS rcdts,
       CASE WHEN g.lo IS NULL THEN 'K8' WHEN g.lo >= 9 THEN 'HS' WHEN g.lo >= 6 AND g.hi <= 8 THEN 'MS'
            WHEN g.hi <= 6 THEN 'ES' ELSE 'K8' END AS school_type,
       coalesce(g.lo, -1) AS low_grade, coalesce(g.hi, 12) AS high_grade, 'Y' AS active,
       'orgs.csv' AS _file, s.line AS _line
FROM o_org s LEFT JOIN grades g USING (sourcedId) WHERE s.type = 'school';

-- A calendar per school and school year its classes meet in; its terms are the classes' terms.
CREATE OR REPLACE TEMP TABLE o_term_of AS
SELECT DISTINCT c.school_id, c.school_year, t.term AS sourcedId
FROM o_class c, unnest(c.terms) AS t(term);

CREATE OR REPLACE TEMP TABLE o_calendar AS
SELECT DISTINCT ON (t.school_id, t.school_year)
       t.school_id || '-' || t.school_year AS calendar_id, t.school_id, t.school_year,
       coalesce(y.title, t.school_year) AS name, 'N' AS summer, 'academicSessions.csv' AS _file,
       coalesce(y.line, a.line) AS _line
FROM o_term_of t JOIN z_academicSessions a USING (sourcedId)
LEFT JOIN z_academicSessions y ON y.type = 'schoolYear' AND y.schoolYear = t.school_year
ORDER BY t.school_id, t.school_year;

CREATE OR REPLACE TEMP TABLE o_term AS
SELECT t.school_id || '-' || t.school_year AS calendar_id, a.title AS term_code,
       CASE a.type WHEN 'semester' THEN 'semester' WHEN 'gradingPeriod' THEN 'quarter'
            WHEN 'schoolYear' THEN 'year'
            ELSE CASE WHEN try_cast(a.endDate AS DATE) - try_cast(a.startDate AS DATE) >= 150 THEN 'year'
                      ELSE 'trimester' END END AS term_type,
       a.startDate AS start_date, a.endDate AS end_date, 'academicSessions.csv' AS _file, a.line AS _line
FROM o_term_of t JOIN z_academicSessions a USING (sourcedId);

CREATE OR REPLACE TEMP TABLE o_staff AS
SELECT u.local_id AS staff_id, u.familyName AS last_name, u.givenName AS first_name, u.email,
       (SELECT s.local_id FROM o_org s WHERE s.sourcedId = u.schools[1]) AS school_id,
       CASE WHEN u.enabledUser = 'false' THEN 'N' ELSE 'Y' END AS active, 'users.csv' AS _file, u.line AS _line
FROM o_user u WHERE u.role IN ('teacher', 'administrator', 'aide', 'proctor');

CREATE OR REPLACE TEMP TABLE o_student AS
SELECT u.local_id AS student_id,
       nullif(regexp_extract(u.userIds, '\{\s*(?:SSID|SSN_STATE|State|StateID|state_id)\s*:\s*(\d{9,10})\s*\}', 1), '')
           AS state_id,
       u.familyName AS last_name, u.givenName AS first_name, u.middleName AS middle_name,
       d.birthDate AS birth_date, CASE d.sex WHEN 'male' THEN 'M' WHEN 'female' THEN 'F' END AS gender,
       g.grade, (SELECT s.local_id FROM o_org s WHERE s.sourcedId = u.schools[1]) AS school_id, u.email,
       CASE d.hispanicOrLatinoEthnicity WHEN 'true' THEN 'Y' WHEN 'false' THEN 'N' END AS hispanic,
       'users.csv' AS _file, u.line AS _line
FROM o_user u JOIN o_student_grade g USING (sourcedId)
LEFT JOIN z_demographics d ON d.sourcedId = u.sourcedId;

-- A school enrollment per student and school of the user (first = primary), from the school
-- year's first day; its calendar when the school has one that year.
CREATE OR REPLACE TEMP TABLE o_enrollment AS
WITH yr AS (SELECT max(schoolYear) AS school_year FROM z_academicSessions),
first_day AS (SELECT min(startDate) AS day FROM z_academicSessions, yr WHERE schoolYear = yr.school_year)
SELECT u.local_id AS student_id, s.local_id AS school_id, k.calendar_id, first_day.day AS start_date,
       g.grade, CASE WHEN i = 1 THEN 'primary' ELSE 'partial' END AS enrollment_type,
       'users.csv' AS _file, u.line AS _line
FROM o_user u JOIN o_student_grade g USING (sourcedId), yr, first_day,
     unnest(u.schools) WITH ORDINALITY AS o(org, i)
JOIN o_org s ON s.sourcedId = o.org
LEFT JOIN o_calendar k ON k.school_id = s.local_id AND k.school_year = yr.school_year;

CREATE OR REPLACE TEMP TABLE o_course AS
SELECT o_id(courseCode, sourcedId) AS course_id, title, subjects AS subject_area, 'Y' AS active,
       'courses.csv' AS _file, line AS _line
FROM z_courses WHERE coalesce(status, '') <> 'tobedeleted';

CREATE OR REPLACE TEMP TABLE o_section AS
SELECT section_id, school_id, course_id, school_id || '-' || school_year AS calendar_id, periods AS period,
       CASE WHEN classType = 'homeroom' THEN 'Y' ELSE 'N' END AS homeroom, 'classes.csv' AS _file, line AS _line
FROM o_class;

CREATE OR REPLACE TEMP TABLE o_section_term AS
SELECT c.section_id, a.title AS term_code, 'classes.csv' AS _file, c.line AS _line
FROM o_class c, unnest(c.terms) AS t(term) JOIN z_academicSessions a ON a.sourcedId = t.term;

CREATE OR REPLACE TEMP TABLE o_section_staff AS
SELECT c.section_id, u.local_id AS staff_id, CASE WHEN e."primary" = 'true' THEN 'Y' ELSE 'N' END AS primary_teacher,
       e.beginDate AS start_date, e.endDate AS end_date, 'enrollments.csv' AS _file, e.line AS _line
FROM z_enrollments e JOIN o_class c ON c.sourcedId = e.classSourcedId JOIN o_user u ON u.sourcedId = e.userSourcedId
WHERE e.role = 'teacher' AND coalesce(e.status, '') <> 'tobedeleted';

CREATE OR REPLACE TEMP TABLE o_roster AS
SELECT c.section_id, u.local_id AS student_id,
       coalesce(nullif(e.beginDate, ''), (SELECT min(a.startDate) FROM z_academicSessions a
                                          WHERE list_contains(c.terms, a.sourcedId))) AS start_date,
       e.endDate AS end_date, 'enrollments.csv' AS _file, e.line AS _line
FROM z_enrollments e JOIN o_class c ON c.sourcedId = e.classSourcedId JOIN o_user u ON u.sourcedId = e.userSourcedId
WHERE e.role = 'student' AND coalesce(e.status, '') <> 'tobedeleted';
