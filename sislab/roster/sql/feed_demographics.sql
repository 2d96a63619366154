WITH race AS (
    SELECT s.student_id, r.sid, $race_to[list_position($race_from, s.race_code)] AS col, s.birth_date, s.gender, s.hispanic
    FROM rf_student r JOIN student s USING (student_id)
)
SELECT sid::VARCHAR AS sourcedId, birth_date AS birthDate,
       $sex_to[list_position($sex_from, gender)] AS sex,
       CASE WHEN col IS NULL THEN NULL WHEN col = 'americanIndianOrAlaskaNative' THEN 'true' ELSE 'false' END AS americanIndianOrAlaskaNative,
       CASE WHEN col IS NULL THEN NULL WHEN col = 'asian' THEN 'true' ELSE 'false' END AS asian,
       CASE WHEN col IS NULL THEN NULL WHEN col = 'blackOrAfricanAmerican' THEN 'true' ELSE 'false' END AS blackOrAfricanAmerican,
       CASE WHEN col IS NULL THEN NULL WHEN col = 'nativeHawaiianOrOtherPacificIslander' THEN 'true' ELSE 'false' END AS nativeHawaiianOrOtherPacificIslander,
       CASE WHEN col IS NULL THEN NULL WHEN col = 'white' THEN 'true' ELSE 'false' END AS white,
       CASE WHEN col IS NULL THEN NULL ELSE 'false' END AS demographicRaceTwoOrMoreRaces,
       CASE WHEN hispanic THEN 'true' WHEN NOT hispanic THEN 'false' END AS hispanicOrLatinoEthnicity
FROM race
ORDER BY student_id
