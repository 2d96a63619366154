SELECT rf_id('org', district_id) AS sourcedId, name, 'district' AS type, coalesce(cds_code, district_id) AS identifier,
       NULL AS parentSourcedId
FROM district
UNION ALL
SELECT sid, name, 'school', identifier,
       rf_id('org', getvariable('rf_district'))
FROM rf_school
ORDER BY type, identifier
