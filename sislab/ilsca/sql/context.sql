-- ilsca_context: the distinct enrollment contexts (Home school, Single Parent, Displaced
-- Homemaker) of a student in a calendar; each one gives the student's sections in that
-- calendar a record. A primary enrollment brings its own values; a partial or special-ed one
-- takes the student's home enrollment's (ilsca_student). A section in a calendar without an
-- enrollment of the student uses the home enrollment alone (rows.sql). Per student and
-- calendar, so the per-section rows only look the answer up.
CREATE OR REPLACE TEMP TABLE ilsca_context AS
SELECT e.student_id, e.calendar_id,
       CASE WHEN e.enrollment_type = 'primary' THEN e.school_id ELSE h.home_school_id END AS home_school_id,
       CASE WHEN e.enrollment_type = 'primary' THEN e.single_parent ELSE h.home_single_parent END AS single_parent,
       CASE WHEN e.enrollment_type = 'primary' THEN e.displaced_homemaker ELSE h.home_displaced_homemaker END
           AS displaced_homemaker,
       CASE WHEN e.enrollment_type = 'primary' THEN e.home_rcdts ELSE coalesce(e.home_rcdts, h.home_home_rcdts) END
           AS home_rcdts,
       e.serving_rcdts,
       max(e.grade) AS grade
FROM ilsca_enrollment AS e
JOIN ilsca_student AS h USING (student_id)
GROUP BY ALL;
