-- ilsca_unenrolled: (student, section) pairs on a roster of a section of the chosen calendars
-- inside the window whose student has no active enrollment in those calendars then, whatever
-- its grade (the grades chosen are the user's choice, not a surprise): the student is not in
-- ilsca_student and gives no record. Pre-flight tells why ("why is this student missing").
-- The few such students first (two anti-joins over the students), then their roster rows:
-- ~0.07 CPU-s on the 2.6 M roster rows of the bench's 200,000 students.
CREATE OR REPLACE TEMP TABLE ilsca_unenrolled AS
WITH unenrolled AS (
    SELECT student_id FROM student
    ANTI JOIN ilsca_student USING (student_id)
    ANTI JOIN (SELECT student_id FROM enrollment
               WHERE list_contains($calendars, calendar_id) AND list_contains($active_enrollments, enrollment_type)
                 AND start_date <= $end AND (end_date IS NULL OR end_date >= $start)) USING (student_id)
)
SELECT DISTINCT r.student_id, s.section_key
FROM roster AS r
SEMI JOIN unenrolled USING (student_id)
JOIN ilsca_section AS s USING (section_id)
WHERE (r.start_date IS NULL OR r.start_date <= $end) AND (r.end_date IS NULL OR r.end_date >= $start);
