-- The IL SCA benchmark's "illinois" variant of the generated (California-shaped) snapshot:
-- what an Illinois district's SIS would hold where the generator writes California's shape.
-- Records and their number are unchanged, only the findings that come from the shape go.
-- 1. State student ids: ISBE's are 9 digits, the generator's California's 10. Renumber
--    (unique, 9 digits), students without a state id keep none.
CREATE TEMP TABLE il_id AS
    SELECT student_id, (100000000 + row_number() OVER (ORDER BY student_id))::VARCHAR AS state_id
    FROM student WHERE state_id IS NOT NULL;
UPDATE student SET state_id = il_id.state_id FROM il_id WHERE student.student_id = il_id.student_id;
-- 2. State term codes: only semesters have one in the generated data (01, 02). Give the year term
--    01 and the n-th trimester / quarter term 0n (summer terms report 05 from the calendar).
UPDATE term SET state_term_code = CASE WHEN term_type = 'year' THEN '01' ELSE '0' || right(term_code, 1) END
WHERE nullif(trim(state_term_code), '') IS NULL AND term_type IN ('year', 'trimester', 'quarter');
