-- A-G course lists of the high schools, as the UC Course Management Portal exports them
-- (tables ag_list, ag_list_code), made from what each school teaches, with one case of every
-- kind of result the A-G check reports (docs/ag.md). Runs after bulk.sql and the scenarios.
-- School kinds (district.toml): 1 North High, 2 South High, 6 the continuation high school.

-- The A-G courses each high school teaches (any year), the base of its list.
CREATE TEMP TABLE ag_taught AS
SELECT DISTINCT s.school_id, CAST(s.school_id AS INTEGER) % 10 AS kind,
       c.course_id, c.title, c.transcript_abbrev, c.ag_area, coalesce(c.honors, false) AS honors
FROM section s
JOIN course c USING (course_id)
JOIN school h USING (school_id)
WHERE h.school_type IN ('HS', 'ALT') AND c.ag_area IS NOT NULL AND NOT coalesce(c.dual_credit, false)
  AND EXISTS (SELECT 1 FROM roster r WHERE r.section_id = s.section_id);

-- Planted mismatches: (school kind, SIS course, what the list does to it).
CREATE TEMP TABLE ag_case (kind INTEGER, course_id VARCHAR, change VARCHAR);
INSERT INTO ag_case VALUES
    (1, '3004', 'omit'),          -- NO_MATCH: Earth and Space Science is not on North's list
    (1, '9002', 'expired'),       -- NOT_ON_LIST_THIS_YEAR: Ceramics valid only until 2024-25
    (1, '9004', 'archived'),      -- NOT_ON_LIST_THIS_YEAR: Drama archived on the list
    (1, '7022', 'other_area'),    -- SUBJECT_MISMATCH: Principles of Engineering is d in the SIS, g on the list
    (1, '1011', 'no_honors'),     -- HONORS_MISMATCH: English 9 Honors is not UC honors on the list
    (1, '4004', 'ambiguous'),     -- AMBIGUOUS: ECON is on the list twice, as g and as a
    (2, '9003', 'omit'),          -- NO_MATCH at South High (Concert Band)
    (2, '2001', 'messy_code');    -- still aligned: the list writes ' alg  1 ' for ALG 1

INSERT INTO ag_list
SELECT t.school_id, '1' || t.school_id || t.course_id, t.title,
       CASE WHEN x.change = 'other_area' THEN CASE WHEN t.ag_area = 'g' THEN 'd' ELSE 'g' END ELSE t.ag_area END,
       CASE WHEN x.change = 'no_honors' THEN false ELSE t.honors END,
       CASE WHEN x.change = 'archived' THEN 'archived' ELSE 'approved' END,
       getvariable('first_year'),
       CASE WHEN x.change = 'expired' THEN getvariable('current_year') - 2 END
FROM ag_taught t LEFT JOIN ag_case x USING (kind, course_id)
WHERE x.change IS DISTINCT FROM 'omit';

INSERT INTO ag_list_code
SELECT t.school_id, '1' || t.school_id || t.course_id,
       CASE WHEN x.change = 'messy_code' THEN ' ' || lower(replace(t.transcript_abbrev, ' ', '  ')) || ' '
            ELSE t.transcript_abbrev END,
       'abbreviation'
FROM ag_taught t LEFT JOIN ag_case x USING (kind, course_id)
WHERE x.change IS DISTINCT FROM 'omit' AND t.transcript_abbrev IS NOT NULL
UNION ALL
SELECT t.school_id, '1' || t.school_id || t.course_id, t.course_id, 'course_code'
FROM ag_taught t LEFT JOIN ag_case x USING (kind, course_id)
WHERE x.change IS DISTINCT FROM 'omit' AND x.change IS DISTINCT FROM 'messy_code';

-- Entries no SIS course matches, and entries for courses the SIS does not flag A-G.
CREATE TEMP TABLE ag_extra (kind INTEGER, uc_course_id VARCHAR, title VARCHAR, ag_area VARCHAR,
                            code VARCHAR, code_type VARCHAR);
INSERT INTO ag_extra VALUES
    -- the omitted course under another name: a fuzzy suggestion for the worklist, and "not taught"
    (1, '2003004', 'Earth & Space Sciences', 'd', 'EARTH/SPACE', 'abbreviation'),
    -- the second ECON entry that makes the match ambiguous
    (1, '2004004', 'Economics (History/Social Science)', 'a', 'ECON', 'abbreviation'),
    -- on the list, taught nowhere: to archive
    (1, '2005021', 'Latin 1', 'e', 'LATIN 1', 'abbreviation'),
    (2, '2005021', 'Latin 1', 'e', 'LATIN 1', 'abbreviation'),
    -- on the list, taught, but the SIS has no A-G area: missing flag
    (1, '2004040', 'Historia de California', 'a', '4040', 'course_code'),
    (2, '2004040', 'Historia de California', 'a', '4040', 'course_code'),
    (1, '2007011', 'Introduction to Health Careers', 'g', 'HLTH CAREERS', 'abbreviation'),
    -- the continuation school teaches no A-G course: its rate is n/a, not 100 %
    (6, '2001003', 'English 11', 'b', 'ENG 11', 'abbreviation');

CREATE TEMP TABLE ag_school AS
SELECT school_id, CAST(school_id AS INTEGER) % 10 AS kind FROM school WHERE school_type IN ('HS', 'ALT');

INSERT INTO ag_list
SELECT DISTINCT h.school_id, e.uc_course_id, e.title, e.ag_area, false, 'approved', getvariable('first_year'), NULL
FROM ag_extra e JOIN ag_school h USING (kind);

INSERT INTO ag_list_code
SELECT h.school_id, e.uc_course_id, e.code, e.code_type
FROM ag_extra e JOIN ag_school h USING (kind);

DROP TABLE ag_taught;
DROP TABLE ag_case;
DROP TABLE ag_extra;
DROP TABLE ag_school;
