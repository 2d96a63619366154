-- ilsca_school: the fields a record takes from its schools (Home and Serving School RCDTS)
-- as written (identifiers, never cut: pre-flight reports a wrong shape), once per school
-- rather than once per record; and
-- `school_key`, the school's rank by id (records are sorted and joined on integer keys).
CREATE OR REPLACE TEMP TABLE ilsca_school AS
SELECT row_number() OVER (ORDER BY school_id)::INTEGER AS school_key, school_id,
       nullif(rcdts, '') AS home_rcdts,
       nullif(rcdts, '') AS serving_rcdts
FROM school;
