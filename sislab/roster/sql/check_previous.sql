-- Against the previous accepted feed (tables p_users, p_classes, p_enrollments).

-- More than $max_gone_share of a file's previous rows gone (a confirmed drop, --accept-drop,
-- makes it a warning).
-- needs: users, classes, enrollments
WITH gone AS (
    SELECT 'users' AS file, (SELECT count(*) FROM p_users) AS before,
           (SELECT count(*) FROM p_users p WHERE p.sourcedId NOT IN (SELECT sourcedId FROM t_users)) AS lost
    UNION ALL
    SELECT 'classes', (SELECT count(*) FROM p_classes),
           (SELECT count(*) FROM p_classes p WHERE p.sourcedId NOT IN (SELECT sourcedId FROM t_classes))
    UNION ALL
    SELECT 'enrollments', (SELECT count(*) FROM p_enrollments),
           (SELECT count(*) FROM p_enrollments p WHERE p.sourcedId NOT IN (SELECT sourcedId FROM t_enrollments))
)
SELECT 'SHARE_GONE' AS rule, file, NULL AS line, NULL AS sourcedId, NULL AS "column",
       lost || ' of ' || before AS value,
       round(100.0 * lost / before, 1) || ' % of the previous rows are gone (allowed ' || round(100 * $max_gone_share, 1) || ' %)' AS message
FROM gone WHERE before > 0 AND lost > $max_gone_share * before;

-- The same person (role and identifier, else role and username) under a new sourcedId. Two
-- equality joins, not one join on a CASE: that one compared every pair of users of a role.
-- needs: users
SELECT 'SOURCEDID_CHANGED', 'users', u.line, u.sourcedId, 'sourcedId', u.sourcedId, 'was ' || p.sourcedId
FROM t_users u JOIN p_users p ON p.role = u.role AND p.identifier = u.identifier
WHERE coalesce(u.identifier, '') <> '' AND p.sourcedId <> u.sourcedId
UNION ALL
SELECT 'SOURCEDID_CHANGED', 'users', u.line, u.sourcedId, 'sourcedId', u.sourcedId, 'was ' || p.sourcedId
FROM t_users u JOIN p_users p ON p.role = u.role AND p.username = u.username
WHERE coalesce(u.identifier, '') = '' AND p.sourcedId <> u.sourcedId;
