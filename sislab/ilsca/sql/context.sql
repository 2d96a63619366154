-- ilsca_context: the distinct enrollment contexts (Home school, its RCDTS override, Serving
-- RCDTS override, Single Parent, Displaced Homemaker) of a student in a calendar; each one
-- gives the student's sections in that calendar a record. A primary enrollment brings its own
-- values; a partial or special-ed one takes the student's home enrollment's (ilsca_student),
-- unless it has its own Home RCDTS override. A section in a calendar without an enrollment of
-- the student uses the home enrollment alone (rows.sql). Per student and calendar, so the
-- per-section rows only look the answer up; `context_rank` orders a student's contexts in a
-- calendar as the file lists their records (home school, overrides, flags: false first);
-- `contexts`, how many the student has in the calendar.
CREATE OR REPLACE TEMP TABLE ilsca_context AS
WITH distinct_context AS (
    SELECT h.student_key, e.calendar_id,
           CASE WHEN e.enrollment_type = 'primary' THEN s.school_key ELSE h.home_school_key END AS home_school_key,
           CASE WHEN e.enrollment_type = 'primary' THEN e.single_parent ELSE h.home_single_parent END AS single_parent,
           CASE WHEN e.enrollment_type = 'primary' THEN e.displaced_homemaker ELSE h.home_displaced_homemaker END
               AS displaced_homemaker,
           CASE WHEN e.enrollment_type = 'primary' THEN e.home_rcdts ELSE coalesce(e.home_rcdts, h.home_home_rcdts) END
               AS home_rcdts,
           e.serving_rcdts,
           max(e.grade) AS grade
    FROM ilsca_enrollment AS e
    JOIN ilsca_student AS h USING (student_id)
    JOIN ilsca_school AS s ON s.school_id = e.school_id
    GROUP BY ALL
)
SELECT *, row_number() OVER (PARTITION BY student_key, calendar_id
                             ORDER BY home_school_key, home_rcdts, serving_rcdts, single_parent, displaced_homemaker)
              ::INTEGER AS context_rank,
       count(*) OVER (PARTITION BY student_key, calendar_id) AS contexts
FROM distinct_context;
