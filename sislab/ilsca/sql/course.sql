-- ilsca_course: the file's per-course fields as written (codes from layout.toml), cut to
-- their widths, once per course rather than once per record; and the reasons the course's
-- sections would not report. Strip apostrophes cleans the
-- title as it cleans names (the codes and ids are left as stored: they link to other files).
CREATE OR REPLACE TEMP TABLE ilsca_course AS
SELECT c.course_id,
       trim(c.state_course_code) AS state_course_code,
       left(nullif(CASE WHEN $strip::BOOLEAN THEN translate(c.title, $fold_from, $fold_to) ELSE c.title END, ''),
            $width_local_course_title) AS local_course_title,
       left(CASE WHEN list_contains($blank_levels, c.course_level) THEN NULL ELSE c.course_level END,
            $width_course_level) AS course_level,
       left(CASE WHEN c.articulated_credit THEN $yes ELSE $no END, $width_articulated_credit) AS articulated_credit,
       left(CASE WHEN c.dual_credit THEN $yes ELSE $no END, $width_dual_credit) AS dual_credit,
       left(coalesce(c.course_setting, $default_setting), $width_course_setting) AS course_setting,
       left(coalesce(c.language_code, $no_language), $width_language_code) AS language_code,
       left(CASE WHEN c.competency_based THEN $competency_yes ELSE $competency_no END, $width_competency_based)
           AS competency_based,
       -- why the course's sections would not report (ilsca_scheduled), once per course
       nullif(trim(c.state_course_code), '') IS NULL AS no_state_code,
       coalesce(c.state_exclude, false) AS state_excluded,
       coalesce(c.dual_credit, false) AS is_dual_credit,
       c.course_id NOT IN (SELECT course_id FROM ilsca_state_task) AS no_state_task
FROM course AS c;
