-- ag_mark: every mark with `taught_in_district` resolved. A blank in_district is inferred from
-- the school: a mark at one of the district's schools was taught there, one without a school is
-- transfer credit. A value that contradicts the rest of the mark is ambiguous (NULL): in-district
-- without a school, or transfer credit on one of the district's sections. Ambiguous marks are
-- refused (left out of the check) and named in the findings (findings.sql).
CREATE OR REPLACE TEMP VIEW ag_mark AS
SELECT m.*,
       CASE
           WHEN m.in_district IS NULL THEN m.school_id IS NOT NULL AND m.school_id IN (SELECT school_id FROM school)
           WHEN m.in_district AND m.school_id IS NULL THEN NULL
           WHEN NOT m.in_district AND m.section_id IN (SELECT section_id FROM section) THEN NULL
           ELSE m.in_district
       END AS taught_in_district,
       CASE
           WHEN m.in_district AND m.school_id IS NULL THEN 'IN_DISTRICT_WITHOUT_SCHOOL'
           WHEN NOT m.in_district AND m.section_id IN (SELECT section_id FROM section) THEN 'TRANSFER_ON_DISTRICT_SECTION'
       END AS ambiguity
FROM mark m;
