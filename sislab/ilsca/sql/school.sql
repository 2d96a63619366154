-- ilsca_school: the fields a record takes from its schools (Home and Serving School RCDTS)
-- as written, cut to their widths: once per school rather than once per record; and
-- `school_key`, the school's rank by id (records are sorted and joined on integer keys).
CREATE OR REPLACE TEMP TABLE ilsca_school AS
SELECT row_number() OVER (ORDER BY school_id)::INTEGER AS school_key, school_id,
       left(nullif(rcdts, ''), $width_home_rcdts) AS home_rcdts,
       left(nullif(rcdts, ''), $width_serving_rcdts) AS serving_rcdts
FROM school;
