-- Every school of the snapshot, for choosing the schools of a CCI run (a school without an
-- `active` value counts as active).
SELECT school_id, name, school_type, coalesce(active, true) AS active
FROM school
ORDER BY school_id
