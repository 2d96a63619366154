-- Bulk part of the synthetic district. Every "random" value is hash(seed, tag, ids...),
-- so results do not depend on threads or run order; files are sorted when written.
-- Inputs (made by sislab/sample/__init__.py from district.toml and courses.toml):
--   p_kind, p_cal, p_term, p_slot, p_part, p_section, p_course and variables (getvariable).

CREATE OR REPLACE TEMP MACRO h(a, b, c, d) AS hash(getvariable('seed'), a, b, c, d);
CREATE OR REPLACE TEMP MACRO u(a, b, c, d) AS (h(a, b, c, d) % 1000000)::DOUBLE / 1000000;
CREATE OR REPLACE TEMP MACRO u5(a, b, c, d, e) AS (hash(getvariable('seed'), a, b, c, d, e) % 1000000)::DOUBLE / 1000000;
-- (n must be UBIGINT like the hash: a mixed modulo goes through 128-bit integers, 50x slower)
CREATE OR REPLACE TEMP MACRO pick(a, b, c, d, n) AS (h(a, b, c, d) % (n)::UBIGINT)::INTEGER;
CREATE OR REPLACE TEMP MACRO rate(name) AS getvariable('rates')[name];
CREATE OR REPLACE TEMP MACRO one_of(list, a, b) AS list[1 + pick(a, b, 0, 0, len(list))];
CREATE OR REPLACE TEMP MACRO stid(i) AS (1000000 + i)::VARCHAR;
CREATE OR REPLACE TEMP MACRO yday(y, m, d, off) AS make_date((y + off)::INTEGER, m, d);
CREATE OR REPLACE TEMP MACRO grade_in(cls, y) AS least(12, 12 - (cls - y));
-- Section number: 2-digit year, school id, 4-digit course id, 2-digit section ("27" "001" "1004" "01").
-- Built from numbers (string formatting is the slowest part of the generator at scale).
CREATE OR REPLACE TEMP MACRO year_school(yr, num, school_id) AS (yr % 100) * (10 ** length(school_id))::BIGINT + num;
CREATE OR REPLACE TEMP MACRO section_key(year_school, course_id, n) AS
    (year_school * 1000000 + course_id::INTEGER * 100 + n)::VARCHAR;

-- Schools: every block has the same kinds; some kinds only in the first block.
CREATE TEMP TABLE sch AS
SELECT r.b, k.*, r.b * 10 + k.kind AS num, printf('%03d', r.b * 10 + k.kind) AS school_id
FROM range(getvariable('blocks')) r(b) JOIN p_kind k ON NOT k.first_block_only OR r.b = 0;

INSERT INTO school BY NAME
SELECT school_id, CASE WHEN b = 0 THEN name ELSE name || ' ' || b END AS name,
       getvariable('cds_prefix') || printf('%07d', 1930000 + num) AS cds_code,
       CASE WHEN num < 10000 THEN getvariable('rcdts_prefix') || printf('%04d', num) END AS rcdts,
       school_type, low_grade, high_grade, active, tracks_primary_classes, flex_schedule,
       CASE WHEN atp THEN printf('%06d', 52000 + num) END AS atp_code
FROM sch;

INSERT INTO school_group BY NAME
SELECT g.group_name, s.school_id
FROM sch s JOIN (VALUES ('Grades 9-12', 'HS'), ('Grades 9-12', 'ALT'), ('Middle', 'MS'), ('Elementary', 'ES'))
     g(group_name, school_type) USING (school_type)
WHERE s.active;

-- Calendars and terms, one set per school and school year.
CREATE TEMP TABLE cal AS
SELECT s.b, s.kind, s.num, s.school_id, y.yr, c.suffix, c.term_set, c.label,
       s.school_id || '-' || y.yr || c.suffix AS calendar_id
FROM sch s JOIN p_cal c USING (kind),
     range(getvariable('first_year'), getvariable('current_year') + 1) y(yr);

INSERT INTO calendar BY NAME
SELECT calendar_id, school_id, yr AS school_year, (yr - 1) || '-' || (yr % 100) || ' ' || label AS name,
       suffix = '-SU' AS summer
FROM cal;

INSERT INTO term BY NAME
SELECT c.calendar_id, t.term_code, t.term_type, t.state_term_code,
       yday(c.yr, t.sm, t.sd, t.soff) AS start_date, yday(c.yr, t.em, t.ed, t.eoff) AS end_date
FROM cal c JOIN p_term t USING (term_set);

-- Students: current ones (all grades) and the former members of the last three classes.
CREATE TEMP TABLE stu AS
WITH raw AS (
    SELECT i, getvariable('current_year') + 13 - pick('grade', i, 0, 0, 14) AS cls
    FROM range(getvariable('students')) r(i)
    UNION ALL
    SELECT i, getvariable('current_year') - 3 + (i - getvariable('students')) % 3 AS cls
    FROM range(getvariable('students'), getvariable('students') + 3 * getvariable('former_per_class')) r(i)
), drawn AS (
    SELECT i, cls, pick('block', i, 0, 0, getvariable('blocks')) AS b,
           1 + pick('hs', i, 0, 0, 2) AS hs_k, 4 + pick('es', i, 0, 0, 2) AS es_k,
           u('ability', i, 0, 0) AS ability, u('outcome', i, 0, 0) AS ou,
           cls >= getvariable('current_year') AS current_class
    FROM raw
), fate AS (
    SELECT *,
        CASE WHEN current_class THEN 'still_enrolled'
             WHEN ou < getvariable('outcomes')['regular_diploma'] THEN 'regular_diploma'
             WHEN ou < getvariable('outcomes')['fifth_year'] THEN 'fifth_year'
             WHEN ou < getvariable('outcomes')['alternative_diploma'] THEN 'alternative_diploma'
             WHEN ou < getvariable('outcomes')['other_completer'] THEN 'other_completer'
             WHEN ou < getvariable('outcomes')['dropout'] THEN 'dropout'
             ELSE 'other' END AS fate
    FROM drawn
)
SELECT *,
    CASE WHEN current_class THEN getvariable('current_year')
         WHEN fate = 'fifth_year' THEN cls + 1
         WHEN fate = 'dropout' THEN cls - 1
         ELSE cls END AS last_year
FROM fate;

-- Student-years: the current year for current students, every high-school year in the window.
CREATE TEMP TABLE sy AS
SELECT s.i, s.b, y.yr, grade_in(s.cls, y.yr) AS g, s.ability,
       CASE WHEN grade_in(s.cls, y.yr) <= 5 THEN s.es_k WHEN grade_in(s.cls, y.yr) <= 8 THEN 3 ELSE s.hs_k END AS kind
FROM stu s, range(getvariable('first_year'), getvariable('current_year') + 1) y(yr)
WHERE y.yr <= s.last_year
  AND (y.yr = getvariable('current_year') OR 12 - (s.cls - y.yr) >= 9);
ALTER TABLE sy ADD COLUMN school_id VARCHAR;
ALTER TABLE sy ADD COLUMN year_school BIGINT;
UPDATE sy SET school_id = printf('%03d', b * 10 + kind);
UPDATE sy SET year_school = year_school(yr, b * 10 + kind, school_id);

CREATE TEMP TABLE last_school AS
SELECT i, arg_max(school_id, yr) AS school_id, arg_max(kind, yr) AS kind, max(g) AS g
FROM sy GROUP BY i;

INSERT INTO student BY NAME
SELECT stid(s.i) AS student_id,
       CASE WHEN u('no_ssid', s.i, 0, 0) >= rate('no_state_id')
            THEN (1000000000 + (s.i * 1234567891 + getvariable('seed') * 7919) % 9000000000)::VARCHAR END AS state_id,
       CASE WHEN u('hyphen', s.i, 0, 0) < rate('hyphenated')
            THEN one_of(getvariable('last'), 'last', s.i) || '-' || one_of(getvariable('last'), 'last2', s.i)
            ELSE one_of(getvariable('last'), 'last', s.i) END AS last_name,
       CASE x.gender WHEN 'F' THEN one_of(getvariable('female'), 'first', s.i)
                     WHEN 'M' THEN one_of(getvariable('male'), 'first', s.i)
                     ELSE one_of(getvariable('female') || getvariable('male'), 'first', s.i) END AS first_name,
       CASE WHEN u('middle', s.i, 0, 0) < rate('middle_name')
            THEN one_of(getvariable('female') || getvariable('male'), 'middle', s.i) END AS middle_name,
       CASE WHEN x.protected THEN one_of(getvariable('last'), 'plast', s.i) END AS protected_last_name,
       CASE WHEN x.protected THEN one_of(getvariable('female') || getvariable('male'), 'pfirst', s.i) END
           AS protected_first_name,
       make_date((s.cls - 19)::INTEGER, 9, 1) + pick('birth', s.i, 0, 0, 365) AS birth_date,
       x.gender, l.g AS grade, l.school_id,
       CASE WHEN l.g >= 6 THEN 'C' || l.school_id || (1 + pick('counselor', s.i, 0, 0, k.counselors)) END
           AS counselor_id,
       CASE WHEN l.g >= 3 THEN 's' || stid(s.i) || '@students.' || getvariable('domain') END AS email,
       u('hispanic', s.i, 0, 0) < rate('hispanic') AS hispanic,
       one_of(getvariable('race_codes'), 'race', s.i) AS race_code,
       u('el', s.i, 0, 0) < rate('el') AS el,
       u('el', s.i, 0, 0) < rate('el') AND l.g >= 6 AND u('ltel', s.i, 0, 0) < rate('ltel') AS ltel,
       u('sed', s.i, 0, 0) < rate('sed') AS sed,
       u('swd', s.i, 0, 0) < rate('swd') AS swd,
       u('foster', s.i, 0, 0) < rate('foster') AS foster,
       u('homeless', s.i, 0, 0) < rate('homeless') AS homeless,
       u('opt_out', s.i, 0, 0) < rate('parent_opt_out') AS parent_opt_out
FROM stu s JOIN last_school l USING (i) JOIN p_kind k ON k.kind = l.kind,
     LATERAL (SELECT CASE WHEN u('gender_x', s.i, 0, 0) < rate('gender_x') THEN 'X'
                          WHEN pick('gender', s.i, 0, 0, 2) = 0 THEN 'F' ELSE 'M' END AS gender,
                     u('protected', s.i, 0, 0) < rate('protected_identity') AS protected) x;

INSERT INTO enrollment BY NAME
SELECT stid(y.i) AS student_id, y.school_id, y.school_id || '-' || y.yr AS calendar_id,
       yday(y.yr, k.start_m, k.start_d, -1) AS start_date,
       CASE WHEN y.yr < getvariable('current_year') THEN yday(y.yr, k.end_m, k.end_d, 0) END AS end_date,
       y.g AS grade, 'primary' AS enrollment_type,
       y.g >= 9 AND u('single_parent', y.i, y.yr, 0) < rate('single_parent') AS single_parent,
       y.g >= 9 AND u('homemaker', y.i, y.yr, 0) < rate('displaced_homemaker') AS displaced_homemaker
FROM sy y JOIN p_kind k USING (kind);

-- Staff: teachers of every school (two more who left, seen on old sections) and counselors.
INSERT INTO staff BY NAME
SELECT staff_id, last_name, first_name,
       CASE WHEN u('staff_email', staff_id, 0, 0) >= rate('staff_no_email')
            THEN lower(regexp_replace(strip_accents(first_name || '.' || last_name), '[^A-Za-z.]', '', 'g'))
                 || n || '@' || getvariable('domain') END AS email,
       CASE WHEN u('seid', staff_id, 0, 0) >= rate('staff_no_seid') THEN printf('%08d', 10000000 + num * 100 + n) END
           AS state_educator_id,
       school_id, active, is_counselor
FROM (
    SELECT s.school_id, s.num, t.n, 'T' || s.school_id || printf('%03d', t.n) AS staff_id,
           one_of(getvariable('last'), 'staff_last', s.num * 1000 + t.n) AS last_name,
           one_of(getvariable('female') || getvariable('male'), 'staff_first', s.num * 1000 + t.n) AS first_name,
           t.n <= s.n_teachers AND s.active AS active, false AS is_counselor
    FROM sch s, LATERAL (SELECT unnest(range(1, s.n_teachers + 3)) AS n) t
    UNION ALL
    SELECT s.school_id, s.num, 900 + c.n, 'C' || s.school_id || c.n,
           one_of(getvariable('last'), 'staff_last', s.num * 1000 + 900 + c.n),
           one_of(getvariable('female') || getvariable('male'), 'staff_first', s.num * 1000 + 900 + c.n),
           s.active, true
    FROM sch s, LATERAL (SELECT unnest(range(1, s.counselors + 1)) AS n) c
);

-- Master schedule.
CREATE TEMP TABLE sec AS
SELECT c.school_id, c.yr, c.calendar_id, c.num, p.*, k.n_teachers,
       section_key(year_school(c.yr, c.num, c.school_id), p.course_id, n.sec_no) AS section_id
FROM p_section p JOIN cal c ON c.kind = p.kind AND c.suffix = p.cal_suffix AND c.yr BETWEEN p.y_from AND p.y_to
     JOIN p_kind k ON k.kind = p.kind,
     LATERAL (SELECT unnest(range(1, p.n_sec + 1)) AS sec_no) n;

INSERT INTO section BY NAME
SELECT section_id, school_id, course_id, calendar_id, period, primary_class, homeroom FROM sec;

INSERT INTO section_term BY NAME
SELECT section_id, unnest(terms) AS term_code FROM sec;

CREATE TEMP TABLE sec_teacher AS
SELECT section_id, school_id, yr, n_teachers,
       1 + pick('teacher', section_id, 0, 0,
                n_teachers + CASE WHEN yr < getvariable('current_year') - 2 THEN 2 ELSE 0 END) AS t
FROM sec;

INSERT INTO section_staff BY NAME
SELECT section_id, 'T' || school_id || printf('%03d', t) AS staff_id, true AS primary_teacher
FROM sec_teacher
UNION ALL
SELECT section_id, 'T' || school_id || printf('%03d', t % n_teachers + 1), false
FROM sec_teacher
WHERE u('co_teacher', section_id, 0, 0) < rate('co_teacher') AND t % n_teachers + 1 <> t;

-- What each student takes: one option per slot, then its parts (course + terms).
CREATE TEMP VIEW takes AS
SELECT x.i, x.yr, x.g, x.school_id, x.ability, p.course_id, p.marked, p.terms, p.term_types, p.credits, p.pass_fail,
       yday(x.yr, p.start_m, p.start_d, p.start_off) AS start_date,
       yday(x.yr, p.end_m, p.end_d, p.end_off) AS end_date,
       section_key(x.year_school, p.course_id, 1 + pick('section', x.i, x.yr, p.course_id, p.n_sec)) AS section_id
FROM (
    SELECT y.i, y.yr, y.g, y.kind, y.school_id, y.year_school, y.ability, s.slot,
           pick('option', y.i, s.slot, CASE WHEN s.by_student THEN 0 ELSE y.yr END, s.n_options) AS option_no
    FROM sy y JOIN p_slot s ON s.kind = y.kind AND s.grade = y.g AND y.yr BETWEEN s.y_from AND s.y_to
) x JOIN p_part p ON p.kind = x.kind AND p.grade = x.g AND p.slot = x.slot AND p.option_no = x.option_no;

INSERT INTO roster BY NAME
SELECT section_id, stid(i) AS student_id, start_date,
       CASE WHEN end_date < getvariable('today') THEN end_date END AS end_date
FROM takes;

-- Final marks for every finished term (the current year has none posted yet).
INSERT INTO mark BY NAME
SELECT student_id, course_id, school_id, section_id, school_year, term_code, term_type, grade, mark,
       credits AS credits_attempted,
       CASE WHEN mark IN ('F', 'NP', 'W', 'I') THEN 0 ELSE credits END AS credits_earned,
       -- college courses award college units (3 a term) with the high-school credit; about one
       -- in twenty dual-credit marks carries high-school credit only
       CASE WHEN college AND mark NOT IN ('F', 'NP', 'W', 'I')
                 AND u5('hs_only', student_id, course_id, term_code, school_year) >= rate('college_hs_only') THEN 3 END
           AS college_credits,
       true AS in_district
FROM (
    SELECT stid(t.i) AS student_id, t.course_id, t.school_id, t.section_id, t.yr AS school_year,
           t.term_code, t.term_type, t.g AS grade, t.credits,
           (SELECT c.college FROM p_course AS c WHERE c.course_id = t.course_id) AS college,
           CASE WHEN u5('w', t.i, t.course_id, t.term_code, t.yr) < rate('mark_w') THEN 'W'
                WHEN u5('i', t.i, t.course_id, t.term_code, t.yr) < rate('mark_i') THEN 'I'
                WHEN t.pass_fail THEN CASE WHEN t.ability > 0.06 THEN 'P' ELSE 'NP' END
                ELSE getvariable('letters')[1 + greatest(0, least(12, round((1 - t.ability) * 10
                     + u5('mark', t.i, t.course_id, t.term_code, t.yr) * 4 - 1.5)))::INTEGER] END AS mark
    FROM (SELECT * EXCLUDE (terms, term_types), unnest(terms) AS term_code, unnest(term_types) AS term_type
          FROM takes WHERE marked AND yr < getvariable('current_year')) t
);

-- Assessments.
INSERT INTO test_score BY NAME
SELECT stid(y.i) AS student_id, t.test, t.subject, y.yr AS school_year, y.g AS grade,
       2300 + 100 * lvl + pick('scale', y.i, t.test, 0, 100) AS scale_score, lvl AS level
FROM sy y JOIN stu s USING (i),
     (VALUES ('CAASPP_ELA', 'ELA'), ('CAASPP_MATH', 'Math')) t(test, subject),
     LATERAL (SELECT greatest(1, least(4, 1 + floor(s.ability * 4 + u('sbac', y.i, t.test, 0) * 1.4 - 0.7)))::INTEGER AS lvl)
WHERE y.g = 11 AND y.yr < getvariable('current_year');

INSERT INTO test_score BY NAME
SELECT stid(y.i) AS student_id, t.test, t.subject, y.yr AS school_year, y.g AS grade,
       CASE t.test WHEN 'SAT' THEN greatest(400, least(1600, 10 * round(60 + s.ability * 80 + u('sat', y.i, 0, 0) * 30)))
                   ELSE greatest(1, least(36, round(10 + s.ability * 22 + u('act', y.i, 0, 0) * 6))) END::INTEGER
           AS scale_score
FROM sy y JOIN stu s USING (i), (VALUES ('SAT', 'Total'), ('ACT', 'Composite')) t(test, subject)
WHERE y.g = 11 AND y.yr < getvariable('current_year')
  AND u(t.test, y.i, 0, 0) < CASE t.test WHEN 'SAT' THEN rate('sat') ELSE rate('act') END;

INSERT INTO test_score BY NAME
SELECT m.student_id, CASE WHEN c.ap THEN 'AP' ELSE 'IB' END AS test, c.exam AS subject, m.school_year, m.grade,
       NULL AS scale_score,
       CASE WHEN c.ap THEN greatest(1, least(5, round(s.ability * 5 + u('exam', m.student_id, c.exam, 0) * 2 - 0.5)))
            ELSE greatest(1, least(7, round(s.ability * 7 + u('exam', m.student_id, c.exam, 0) * 2 - 0.5))) END::INTEGER
           AS level
FROM (SELECT DISTINCT student_id, course_id, school_year, grade FROM mark) m
     JOIN p_course c USING (course_id) JOIN stu s ON stid(s.i) = m.student_id
WHERE (c.ap AND u('ap_exam', m.student_id, c.exam, 0) < rate('ap_exam'))
   OR (c.ib AND u('ib_exam', m.student_id, c.exam, 0) < rate('ib_exam'));

-- CTE completions: the capstone's final (last-term) mark, D- or better, latest attempt.
INSERT INTO cte_completion BY NAME
SELECT m.student_id, c.cte_pathway AS pathway_code, max(m.school_year) AS school_year,
       arg_max(m.course_id, m.school_year) AS capstone_course_id, arg_max(m.mark, m.school_year) AS capstone_mark
FROM mark m JOIN p_course c USING (course_id)
WHERE c.cte_capstone AND m.term_code = c.last_term AND list_position(getvariable('letters'), m.mark) <= 12
GROUP BY m.student_id, c.cte_pathway;

-- Awards, work-based learning and cohort outcomes of the classes in the window.
INSERT INTO award BY NAME
SELECT stid(s.i) AS student_id, a.award, s.last_year AS school_year,
       CASE WHEN a.award = 'LEADERSHIP_MILITARY_SCIENCE' THEN 2 + pick('years', s.i, 0, 0, 3) END AS years
FROM stu s JOIN student st ON st.student_id = stid(s.i),
     (VALUES ('SEAL_OF_BILITERACY', 'seal'), ('LEADERSHIP_MILITARY_SCIENCE', 'leadership'), ('ROCP', 'rocp')) a(award, rate_name)
WHERE s.fate IN ('regular_diploma', 'fifth_year', 'alternative_diploma')
  AND s.last_year < getvariable('current_year')
  AND u(a.award, s.i, 0, 0) < rate(a.rate_name);

-- CALPADS work-based learning types: 25 registered pre-apprenticeship, 35-50 job programs,
-- 10 internships; students with an IEP: 65 transition classroom exploration, half of them also
-- 60 transition work-based experience.
INSERT INTO work_based_learning BY NAME
SELECT stid(s.i) AS student_id,
       CASE w.kind WHEN 'job_program' THEN ['35', '40', '45', '50'][1 + pick('job', s.i, 0, 0, 4)] ELSE w.wbl_type END
           AS wbl_type,
       s.last_year AS school_year,
       CASE WHEN w.wbl_type = '10' THEN 60 + pick('hours', s.i, 0, 0, 120) END AS hours
FROM stu s JOIN student st ON st.student_id = stid(s.i),
     (VALUES ('25', 'pre_apprenticeship'), ('35', 'job_program'), ('10', 'work_based_learning')) w(wbl_type, kind)
WHERE s.fate IN ('regular_diploma', 'fifth_year', 'alternative_diploma')
  AND s.last_year < getvariable('current_year')
  AND u(w.kind, s.i, 0, 0) < rate(w.kind)
UNION ALL
SELECT stid(s.i), t.wbl_type, s.last_year, NULL
FROM stu s JOIN student st ON st.student_id = stid(s.i), (VALUES ('65', 0.15), ('60', 0.075)) t(wbl_type, share)
WHERE st.swd AND s.last_year < getvariable('current_year') AND u('transition', s.i, 0, 0) < t.share;

-- Outcome dates: diplomas in June of the completion year; a few summer diplomas (July, inside
-- the four-year window). EL / SWD at any time during the cohort years: now, or reclassified.
INSERT INTO cohort BY NAME
SELECT *,
       CASE WHEN completion_year IS NOT NULL
            THEN CASE WHEN u('summer_diploma', student_id, 0, 0) < 0.03 THEN make_date(completion_year, 7, 24)
                      ELSE make_date(completion_year, 6, 5) END END AS outcome_date
FROM (
    SELECT stid(s.i) AS student_id, s.cls AS cohort_year, st.school_id,
           CASE WHEN s.fate = 'fifth_year' AND s.last_year >= getvariable('current_year') THEN 'still_enrolled'
                WHEN s.fate = 'fifth_year' THEN 'regular_diploma' ELSE s.fate END AS outcome,
           CASE WHEN s.fate IN ('regular_diploma', 'alternative_diploma', 'other_completer')
                     OR (s.fate = 'fifth_year' AND s.last_year < getvariable('current_year')) THEN s.last_year END
               AS completion_year,
           s.fate IN ('regular_diploma', 'fifth_year') AND s.last_year < getvariable('current_year')
               AND u('ag', s.i, 0, 0) < rate('ag_met') AS ag_met,
           st.el OR u('ever_el', s.i, 0, 0) < rate('ever_el') AS ever_el,
           st.swd OR u('ever_swd', s.i, 0, 0) < rate('ever_swd') AS ever_swd
    FROM stu s JOIN student st ON st.student_id = stid(s.i)
    WHERE s.cls BETWEEN getvariable('current_year') - 3 AND getvariable('current_year')
);

-- SIS student groups: AVID and ELD per secondary school, a district-wide migrant group.
INSERT INTO student_group BY NAME
SELECT g.code || '-' || s.school_id AS group_code, g.label || ' (' || s.school_id || ')' AS name, s.school_id
FROM sch s JOIN (VALUES ('AVID', 'AVID', 'HS'), ('ELD', 'ELD support', 'HS'), ('ELD', 'ELD support', 'MS'))
     g(code, label, school_type) USING (school_type)
UNION ALL
SELECT 'MIGRANT', 'Migrant Education (district)', NULL;

INSERT INTO student_group_member BY NAME
SELECT CASE WHEN st.el AND (st.grade < 9 OR u('avid', st.student_id, 0, 0) >= rate('avid')) THEN 'ELD' ELSE 'AVID' END
           || '-' || st.school_id AS group_code, st.student_id
FROM student st JOIN stu s ON stid(s.i) = st.student_id JOIN school sc USING (school_id)
WHERE s.last_year = getvariable('current_year') AND sc.school_type IN ('HS', 'MS')
  AND ((st.el AND sc.school_type IN ('HS', 'MS')) OR (sc.school_type = 'HS' AND u('avid', st.student_id, 0, 0) < rate('avid')))
UNION ALL
SELECT 'MIGRANT', stid(s.i)
FROM stu s WHERE s.last_year = getvariable('current_year') AND u('migrant', s.i, 0, 0) < rate('migrant');
