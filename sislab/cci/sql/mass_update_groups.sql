-- The saved school groups (e.g. 'Grades 9-12'), each with its schools in id order.
SELECT group_name, list(school_id ORDER BY school_id) AS school_ids
FROM school_group
GROUP BY group_name
ORDER BY group_name
