-- Per-student CCI results (the view cci_students_result) with the student's name, by name;
-- lists as text for tables and CSV files.
SELECT r.student_id,
       st.last_name,
       st.first_name,
       r.school_id,
       r.cohort_year,
       r.level,
       r.counted,
       array_to_string(r.measures_met, ', ') AS measures_met,
       r.missing,
       array_to_string(r.flags, ', ') AS flags,
       r.rule_set
FROM cci_students_result AS r
LEFT JOIN student AS st USING (student_id)
ORDER BY st.last_name, st.first_name, r.student_id
