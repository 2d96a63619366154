-- Who changed between two feeds (old tables o_*, new tables n_*): users added or dropped, and
-- users in both whose classes changed: moved (left some classes, joined others), class_added,
-- class_dropped. Classes are shown by title and classCode, from whichever feed has them.
WITH class_label AS (
    SELECT sourcedId, title || coalesce(' [' || nullif(classCode, '') || ']', '') AS label FROM n_classes
    UNION
    SELECT sourcedId, title || coalesce(' [' || nullif(classCode, '') || ']', '') FROM o_classes
    WHERE sourcedId NOT IN (SELECT sourcedId FROM n_classes)
),
o AS (SELECT DISTINCT userSourcedId AS user_id, classSourcedId AS class_id FROM o_enrollments),
n AS (SELECT DISTINCT userSourcedId AS user_id, classSourcedId AS class_id FROM n_enrollments),
person AS (
    SELECT sourcedId, role, identifier, givenName || ' ' || familyName AS name, 'new' AS side FROM n_users
    UNION ALL
    SELECT sourcedId, role, identifier, givenName || ' ' || familyName, 'old' FROM o_users
),
classes AS (
    SELECT p.sourcedId,
           (SELECT list(l.label ORDER BY l.label) FROM o JOIN class_label l ON l.sourcedId = o.class_id
            WHERE o.user_id = p.sourcedId AND o.class_id NOT IN (SELECT class_id FROM n WHERE n.user_id = p.sourcedId)) AS lost,
           (SELECT list(l.label ORDER BY l.label) FROM n JOIN class_label l ON l.sourcedId = n.class_id
            WHERE n.user_id = p.sourcedId AND n.class_id NOT IN (SELECT class_id FROM o WHERE o.user_id = p.sourcedId)) AS gained
    FROM (SELECT DISTINCT sourcedId FROM person) p
),
change AS (
    SELECT p.sourcedId, any_value(p.role) AS role, any_value(p.identifier) AS identifier, any_value(p.name) AS name,
           CASE WHEN count(*) FILTER (p.side = 'old') = 0 THEN 'user_added'
                WHEN count(*) FILTER (p.side = 'new') = 0 THEN 'user_dropped' END AS user_change
    FROM person p GROUP BY p.sourcedId
)
SELECT coalesce(c.user_change,
                CASE WHEN len(k.lost) > 0 AND len(k.gained) > 0 THEN 'moved'
                     WHEN len(k.gained) > 0 THEN 'class_added'
                     WHEN len(k.lost) > 0 THEN 'class_dropped' END) AS change,
       c.role, c.sourcedId, c.identifier, c.name,
       array_to_string(coalesce(k.lost, []), '; ') AS left_classes,
       array_to_string(coalesce(k.gained, []), '; ') AS joined_classes
FROM change c JOIN classes k USING (sourcedId)
WHERE c.user_change IS NOT NULL OR len(k.lost) > 0 OR len(k.gained) > 0
ORDER BY change, c.role, c.name
