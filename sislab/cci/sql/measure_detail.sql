-- Every enabled measure for every student of cci_evidence, as evaluated (cci_measure).
SELECT *
FROM cci_measure
ORDER BY student_id, ordinal
