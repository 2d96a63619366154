-- What evidence.sql counts as bits, listed before it runs: the AP courses and the AP / IB exam
-- subjects. Value i is bit i % 64 of a student's (i // 64)-th UBIGINT (engine._bit_count);
-- counting distinct bits is about twice as fast as counting distinct values gathered in lists.
SELECT coalesce((SELECT list(DISTINCT course_id ORDER BY course_id) FROM course WHERE ap), []) AS ap_course_ids,
       coalesce((SELECT list(DISTINCT coalesce(subject, '') ORDER BY coalesce(subject, ''))
                 FROM test_score WHERE test IN ('AP', 'IB')), []) AS exam_subjects
