-- Cross-file checks of a loaded feed (tables t_<file>, one column per binding column plus
-- `line`; '' and NULL both mean empty). Every statement returns findings:
-- rule, file, line, sourcedId, column, value, message. Statements are separated by ';'.
-- `-- needs: a, b` names the files a statement reads: it is skipped when one of them is
-- unusable (declared but missing, or empty), since its findings would only repeat that.
-- Rules that read an enumerated value skip values outside the enumeration (ENUM_INVALID).

-- A school reference pointing at an org that is not a school.
-- needs: classes, enrollments, orgs
SELECT 'REF_NOT_SCHOOL' AS rule, 'classes' AS file, c.line, c.sourcedId, 'schoolSourcedId' AS "column",
       c.schoolSourcedId AS value, 'org type is ' || o.type AS message
FROM t_classes c JOIN t_orgs o ON o.sourcedId = c.schoolSourcedId WHERE o.type IS DISTINCT FROM 'school'
UNION ALL
SELECT 'REF_NOT_SCHOOL', 'enrollments', e.line, e.sourcedId, 'schoolSourcedId', e.schoolSourcedId, 'org type is ' || o.type
FROM t_enrollments e JOIN t_orgs o ON o.sourcedId = e.schoolSourcedId WHERE o.type IS DISTINCT FROM 'school';

-- Org parent cycles: an org whose chain of parents reaches itself.
-- needs: orgs
WITH RECURSIVE chain(start, current, depth) AS (
    SELECT sourcedId, parentSourcedId, 1 FROM t_orgs WHERE coalesce(parentSourcedId, '') <> ''
    UNION ALL
    SELECT c.start, o.parentSourcedId, c.depth + 1
    FROM chain c JOIN t_orgs o ON o.sourcedId = c.current
    WHERE c.current <> c.start AND coalesce(o.parentSourcedId, '') <> '' AND c.depth < 64
)
SELECT DISTINCT 'ORG_PARENT_CYCLE', 'orgs', o.line, o.sourcedId, 'parentSourcedId', o.parentSourcedId,
       'the parent chain returns to this org'
FROM chain c JOIN t_orgs o ON o.sourcedId = c.start WHERE c.current = c.start;

-- End before start.
-- needs: academicSessions, enrollments
SELECT 'END_BEFORE_START', 'academicSessions', line, sourcedId, 'endDate', endDate, 'starts ' || startDate
FROM t_academicSessions WHERE try_cast(endDate AS DATE) < try_cast(startDate AS DATE)
UNION ALL
SELECT 'END_BEFORE_START', 'enrollments', line, sourcedId, 'endDate', endDate, 'begins ' || beginDate
FROM t_enrollments
WHERE coalesce(endDate, '') <> '' AND coalesce(beginDate, '') <> '' AND try_cast(endDate AS DATE) < try_cast(beginDate AS DATE);

-- A child session outside its parent.
-- needs: academicSessions
SELECT 'SESSION_OUTSIDE_PARENT', 'academicSessions', c.line, c.sourcedId, 'startDate', c.startDate || '..' || c.endDate,
       'parent ' || p.sourcedId || ' runs ' || p.startDate || '..' || p.endDate
FROM t_academicSessions c JOIN t_academicSessions p ON p.sourcedId = c.parentSourcedId
WHERE try_cast(c.startDate AS DATE) < try_cast(p.startDate AS DATE)
   OR try_cast(c.endDate AS DATE) > try_cast(p.endDate AS DATE);

-- An enrollment whose dates overlap none of its class's terms.
-- needs: enrollments, classes, academicSessions
WITH class_term AS (
    SELECT c.sourcedId AS class_id, try_cast(s.startDate AS DATE) AS s, try_cast(s.endDate AS DATE) AS e
    FROM t_classes c, unnest(string_split(coalesce(c.termSourcedIds, ''), ',')) AS u(term)
    JOIN t_academicSessions s ON s.sourcedId = trim(u.term)
)
SELECT 'ENROLLMENT_OUTSIDE_TERMS', 'enrollments', e.line, e.sourcedId, 'beginDate',
       coalesce(e.beginDate, '') || '..' || coalesce(e.endDate, ''), 'class ' || e.classSourcedId
FROM t_enrollments e
WHERE (coalesce(e.beginDate, '') <> '' OR coalesce(e.endDate, '') <> '')
  AND EXISTS (SELECT 1 FROM class_term t WHERE t.class_id = e.classSourcedId)
  AND NOT EXISTS (SELECT 1 FROM class_term t WHERE t.class_id = e.classSourcedId
                  AND coalesce(try_cast(e.beginDate AS DATE), t.s) <= t.e
                  AND coalesce(try_cast(e.endDate AS DATE), t.e) >= t.s);

-- Enrollment role differs from the user's role (both within their enumerations).
-- needs: enrollments, users
SELECT 'ENROLLMENT_ROLE_MISMATCH', 'enrollments', e.line, e.sourcedId, 'role', e.role, 'user ' || u.sourcedId || ' is a ' || u.role
FROM t_enrollments e JOIN t_users u ON u.sourcedId = e.userSourcedId
WHERE e.role IS DISTINCT FROM u.role AND list_contains($enrollment_roles, e.role) AND list_contains($user_roles, u.role);

-- The enrollment's school is not its class's school.
-- needs: enrollments, classes
SELECT 'ENROLLMENT_SCHOOL_MISMATCH', 'enrollments', e.line, e.sourcedId, 'schoolSourcedId', e.schoolSourcedId,
       'class ' || c.sourcedId || ' is at ' || c.schoolSourcedId
FROM t_enrollments e JOIN t_classes c ON c.sourcedId = e.classSourcedId
WHERE coalesce(e.schoolSourcedId, '') <> '' AND coalesce(c.schoolSourcedId, '') <> ''
  AND e.schoolSourcedId <> c.schoolSourcedId;

-- A student in a class of a school that is not among the student's orgs.
-- needs: enrollments, classes, users
WITH user_org AS (
    SELECT sourcedId, orgSourcedIds,
           list_transform(string_split(coalesce(orgSourcedIds, ''), ','), lambda x: trim(x)) AS orgs
    FROM t_users
)
SELECT 'STUDENT_OUTSIDE_CLASS_SCHOOL', 'enrollments', e.line, e.sourcedId, 'classSourcedId', e.classSourcedId,
       'class school ' || c.schoolSourcedId || '; user ' || u.sourcedId || ' orgs ' || coalesce(u.orgSourcedIds, '')
FROM t_enrollments e
JOIN t_classes c ON c.sourcedId = e.classSourcedId
JOIN user_org u ON u.sourcedId = e.userSourcedId
WHERE e.role = 'student' AND coalesce(c.schoolSourcedId, '') <> '' AND NOT list_contains(u.orgs, c.schoolSourcedId);

-- Homeroom-only receivers take no scheduled class (a receiver rule: receivers.toml).
-- needs: classes
SELECT 'SCHEDULED_IN_HOMEROOM_FEED', 'classes', line, sourcedId, 'classType', classType, title
FROM t_classes WHERE $homeroom_profile AND classType = 'scheduled';

-- Classes without an active teacher, or without exactly one primary teacher. A class with an
-- enrollment whose role is outside the enumeration is left to ENUM_INVALID.
-- needs: classes, enrollments, users
WITH teacher AS (
    SELECT e.classSourcedId, e."primary"
    FROM t_enrollments e JOIN t_users u ON u.sourcedId = e.userSourcedId
    WHERE e.role = 'teacher' AND coalesce(e.status, '') <> 'tobedeleted' AND coalesce(u.status, '') <> 'tobedeleted'
      AND u.enabledUser = 'true'
)
SELECT 'CLASS_NO_TEACHER', 'classes', c.line, c.sourcedId, NULL, NULL, c.title
FROM t_classes c WHERE NOT EXISTS (SELECT 1 FROM teacher t WHERE t.classSourcedId = c.sourcedId)
  AND NOT EXISTS (SELECT 1 FROM t_enrollments e WHERE e.classSourcedId = c.sourcedId
                  AND NOT list_contains($enrollment_roles, e.role))
UNION ALL
SELECT 'CLASS_PRIMARY_TEACHER', 'classes', c.line, c.sourcedId, NULL, CAST(n AS VARCHAR), n || ' primary teachers'
FROM t_classes c
JOIN (SELECT classSourcedId, count(*) FILTER ("primary" = 'true') AS n FROM teacher GROUP BY ALL) t
  ON t.classSourcedId = c.sourcedId
WHERE n <> 1;

-- Teachers' e-mail: missing, malformed, or shared with another user.
-- needs: users
SELECT 'TEACHER_EMAIL_MISSING', 'users', line, sourcedId, 'email', NULL, username
FROM t_users WHERE role = 'teacher' AND coalesce(trim(email), '') = ''
UNION ALL
SELECT 'TEACHER_EMAIL_MALFORMED', 'users', line, sourcedId, 'email', email, username
FROM t_users WHERE role = 'teacher' AND coalesce(trim(email), '') <> '' AND NOT regexp_full_match(email, $email_pattern)
UNION ALL
SELECT 'TEACHER_EMAIL_SHARED', 'users', u.line, u.sourcedId, 'email', u.email, 'also on line ' || o.line
FROM t_users u JOIN t_users o ON lower(trim(o.email)) = lower(trim(u.email)) AND o.line <> u.line
WHERE u.role = 'teacher' AND coalesce(trim(u.email), '') <> '';

-- Students who will not appear: no enrollment at all, or (homeroom profile) no homeroom.
-- needs: users, enrollments, classes
SELECT CASE WHEN $homeroom_profile THEN 'STUDENT_NO_HOMEROOM' ELSE 'STUDENT_NO_ENROLLMENT' END,
       'users', u.line, u.sourcedId, NULL, NULL, u.username
FROM t_users u
WHERE u.role = 'student' AND NOT EXISTS (
    SELECT 1 FROM t_enrollments e JOIN t_classes c ON c.sourcedId = e.classSourcedId
    WHERE e.userSourcedId = u.sourcedId AND (NOT $homeroom_profile OR c.classType = 'homeroom'));

-- Two homerooms at once; two classes in the same period at once. `slot` pairs the candidates:
-- homerooms with homerooms, scheduled classes with those that share a period (`periods` is a
-- list: '1,2' meets in periods 1 and 2, so it conflicts with '2' and with '2,1'). A pair of
-- classes sharing several periods is one finding.
-- needs: enrollments, classes, academicSessions
WITH class_period AS (
    SELECT sourcedId, classType, 'homeroom' AS slot FROM t_classes WHERE classType = 'homeroom'
    UNION
    SELECT sourcedId, classType, 'period ' || trim(period)
    FROM (SELECT sourcedId, classType, unnest(string_split(periods, ',')) AS period
          FROM t_classes WHERE classType = 'scheduled' AND coalesce(periods, '') <> '')
    WHERE trim(period) <> ''
),
class_slot AS (
    SELECT c.sourcedId AS class_id, c.classType, c.slot, t.s, t.e
    FROM class_period c
    LEFT JOIN (
        SELECT c2.sourcedId AS class_id, min(try_cast(s.startDate AS DATE)) AS s, max(try_cast(s.endDate AS DATE)) AS e
        FROM t_classes c2, unnest(string_split(coalesce(c2.termSourcedIds, ''), ',')) AS u(term)
        JOIN t_academicSessions s ON s.sourcedId = trim(u.term) GROUP BY ALL
    ) t ON t.class_id = c.sourcedId
),
member AS (
    SELECT e.line, e.sourcedId, e.userSourcedId AS user_id, k.class_id, k.classType, k.slot,
           coalesce(try_cast(e.beginDate AS DATE), DATE '0001-01-01') AS b,
           coalesce(try_cast(e.endDate AS DATE), DATE '9999-12-31') AS f,
           k.s, k.e
    FROM t_enrollments e
    JOIN class_slot k ON k.class_id = e.classSourcedId
    WHERE e.role = 'student'
)
SELECT DISTINCT CASE WHEN a.classType = 'homeroom' THEN 'HOMEROOM_OVERLAP' ELSE 'SCHEDULE_CONFLICT' END,
       'enrollments', b.line, b.sourcedId, 'classSourcedId', b.class_id,
       'overlaps line ' || a.line || ' (class ' || a.class_id || ')'
FROM member a JOIN member b ON a.user_id = b.user_id AND a.slot = b.slot AND a.line < b.line AND a.class_id <> b.class_id
WHERE a.b <= b.f AND b.b <= a.f
  AND coalesce(a.s <= b.e AND b.s <= a.e, true);

-- A student's grade not among the class's grades (all grades within the enumeration). Each
-- distinct grades text is split and tested once, and each pair of them compared once, not
-- once per enrollment.
-- needs: enrollments, users, classes
WITH grade_list AS (
    SELECT grades, g FROM (
        SELECT grades, string_split(grades, ',') AS g  -- not trimmed: ' 10' is ENUM_INVALID
        FROM (SELECT grades FROM t_users UNION SELECT grades FROM t_classes) WHERE coalesce(grades, '') <> '')
    WHERE list_has_all($grades, g)
),
disjoint AS (
    SELECT u.grades AS user_grades, c.grades AS class_grades
    FROM grade_list u, grade_list c WHERE NOT list_has_any(u.g, c.g)
)
SELECT 'GRADE_NOT_IN_CLASS', 'enrollments', e.line, e.sourcedId, 'userSourcedId', u.grades,
       'class grades ' || c.grades
FROM t_enrollments e
JOIN t_users u ON u.sourcedId = e.userSourcedId
JOIN t_classes c ON c.sourcedId = e.classSourcedId
JOIN disjoint d ON d.user_grades = u.grades AND d.class_grades = c.grades
WHERE e.role = 'student';
