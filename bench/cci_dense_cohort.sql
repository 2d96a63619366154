-- The benchmark's "dense" variant of a generated snapshot: every cohort member becomes a
-- graduate of the class of $class_year, with their whole history shifted in time to match
-- (so the scored class holds ~4 generated classes and their four years of course history).
CREATE TEMP TABLE shift AS
    SELECT student_id, $class_year - cohort_year AS years FROM cohort WHERE cohort_year <> $class_year;
UPDATE mark SET school_year = mark.school_year + s.years FROM shift AS s WHERE mark.student_id = s.student_id;
UPDATE test_score SET school_year = test_score.school_year + s.years FROM shift AS s
    WHERE test_score.student_id = s.student_id;
UPDATE cte_completion SET school_year = cte_completion.school_year + s.years FROM shift AS s
    WHERE cte_completion.student_id = s.student_id;
UPDATE award SET school_year = award.school_year + s.years FROM shift AS s WHERE award.student_id = s.student_id;
UPDATE work_based_learning SET school_year = work_based_learning.school_year + s.years FROM shift AS s
    WHERE work_based_learning.student_id = s.student_id;
CREATE TEMP TABLE dense AS
    SELECT * REPLACE ($class_year AS cohort_year,
                      CASE WHEN outcome = 'still_enrolled' THEN 'regular_diploma' ELSE outcome END AS outcome,
                      CASE WHEN outcome = 'still_enrolled' THEN $class_year
                           ELSE completion_year + $class_year - cohort_year END AS completion_year,
                      CASE WHEN outcome = 'still_enrolled' THEN make_date($class_year, 6, 5)
                           ELSE outcome_date + to_years(($class_year - cohort_year)::INTEGER) END AS outcome_date)
    FROM cohort;
DELETE FROM cohort;
INSERT INTO cohort SELECT * FROM dense;
