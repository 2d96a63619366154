-- ag_transcript_student: one row per student enrolled in a transcript grade in the school year at a school with a CDS
-- code, whose parents did not opt out of transcript sharing; their latest enrollment that year.
CREATE OR REPLACE TEMP TABLE ag_transcript_student AS
WITH span AS (
    SELECT e.*, row_number() OVER (PARTITION BY e.student_id ORDER BY e.start_date DESC) AS n
    FROM ag_transcript_enrollment e
    WHERE e.school_year = $school_year
)
SELECT sc.cds_code, st.student_id, st.state_id, st.first_name, st.middle_name, st.last_name,
       st.birth_date, st.gender, sp.grade,
       CASE WHEN st.foster THEN 'Y' ELSE 'N' END AS foster,
       'Y' AS parent_consent,
       CASE WHEN st.hispanic THEN 'Y' ELSE 'N' END AS hispanic,
       st.race_code, sp.start_date AS enrollment_start, sp.end_date AS enrollment_end, st.email,
       CASE WHEN st.swd THEN 'Y' ELSE 'N' END AS swd,
       CASE WHEN st.el THEN 'Y' ELSE 'N' END AS el,
       CASE WHEN st.homeless THEN 'Y' ELSE 'N' END AS homeless
FROM span sp
JOIN student st USING (student_id)
JOIN school sc ON sc.school_id = sp.school_id
WHERE sp.n = 1 AND sc.cds_code IS NOT NULL AND NOT coalesce(st.parent_opt_out, false)
  AND ($schools::VARCHAR[] IS NULL OR list_contains($schools::VARCHAR[], sc.school_id));
