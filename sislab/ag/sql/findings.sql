-- Marks of the school year whose in_district value is ambiguous (see marks.sql): refused.
SELECT ambiguity AS rule, student_id, school_id, section_id, course_id, school_year, term_code,
       CASE WHEN in_district THEN 'Y' ELSE 'N' END AS in_district
FROM ag_mark
WHERE ambiguity IS NOT NULL AND school_year = $school_year
  AND ($schools::VARCHAR[] IS NULL OR list_contains($schools::VARCHAR[], school_id))
ORDER BY student_id, course_id, term_code;
