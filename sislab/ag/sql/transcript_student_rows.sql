-- The Student file's rows (built by transcript_student.sql).
SELECT * FROM ag_transcript_student ORDER BY student_id;
