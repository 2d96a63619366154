-- ilsca_student: each student of ilsca_enrollment once, with the file's per-student fields
-- as written: names after the protected-identity and strip options cut to their widths, the
-- state id as stored (an identifier is never cut), the names before the cut (pre-flight checks those),
-- and the home enrollment: the most recent primary enrollment in the selected calendars,
-- else the most recent one. Formatting here runs once per student, not once per record.
-- `student_key` ranks the students by id: records are sorted and joined on it, not on ids.
CREATE OR REPLACE TEMP TABLE ilsca_student AS
WITH home AS (
    SELECT student_id,
           arg_max({'school_id': school_id, 'single_parent': single_parent,
                    'displaced_homemaker': displaced_homemaker, 'grade': grade, 'home_rcdts': home_rcdts},
                   (enrollment_type = 'primary', start_date, school_id, calendar_id)) AS e
    FROM ilsca_enrollment
    GROUP BY student_id
), named AS (
    SELECT s.student_id, nullif(trim(s.state_id), '') AS state_id, s.birth_date,
           CASE WHEN $protected::BOOLEAN THEN coalesce(nullif(trim(s.protected_last_name), ''), s.last_name)
                ELSE s.last_name END AS last_name,
           CASE WHEN $protected::BOOLEAN THEN coalesce(nullif(trim(s.protected_first_name), ''), s.first_name)
                ELSE s.first_name END AS first_name
    FROM student AS s
    WHERE s.student_id IN (SELECT student_id FROM home)  -- format only the students who report
), written AS (
    SELECT student_id, state_id, birth_date,
           nullif(CASE WHEN $strip::BOOLEAN THEN translate(last_name, $fold_from, $fold_to) ELSE last_name END, '')
               AS full_last_name,
           nullif(CASE WHEN $strip::BOOLEAN THEN translate(first_name, $fold_from, $fold_to) ELSE first_name END, '')
               AS full_first_name
    FROM named
)
SELECT row_number() OVER (ORDER BY n.student_id)::INTEGER AS student_key, n.student_id, n.state_id, n.full_last_name, n.full_first_name,
       n.state_id AS student_state_id,  -- never cut: the first 9 digits of an id are another student's
       left(n.full_last_name, $width_last_name) AS last_name,
       left(n.full_first_name, $width_first_name) AS first_name,
       left(strftime(n.birth_date, '%m/%d/%Y'), $width_birth_date) AS birth_date,
       h.e.school_id AS home_school_id, sc.school_key AS home_school_key, h.e.single_parent AS home_single_parent,
       h.e.displaced_homemaker AS home_displaced_homemaker, h.e.grade AS home_grade,
       h.e.home_rcdts AS home_home_rcdts  -- the home enrollment's Home RCDTS override
FROM home AS h
JOIN written AS n USING (student_id)
JOIN ilsca_school AS sc ON sc.school_id = h.e.school_id;
