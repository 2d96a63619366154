-- ilsca_section: the sections of the selected calendars with what a record needs of them:
-- course, school, calendar, summer flag; `terms`, the terms the section meets in (code and
-- state code, by code: a grade's terms are a bit mask over this list, ilsca_section_task);
-- the start of the earliest of them (a course start date's last resort); and the credit: per
-- state-reported grading task with a credit and a term mask, (section terms in the mask) x
-- credit, summed, and as written (`credit_text`; none: the record's grade decides, rows.sql);
-- `terms_may_repeat`: two of its terms would print the same Term (pre-flight's duplicates).
-- Each section also carries the file's fields that come from it, its course, school and
-- calendar, as written (the view ilsca_record joins them on `section_key`), and `section_key`:
-- the section's rank by course, then section number, its place among a student's records.
CREATE OR REPLACE TEMP TABLE ilsca_section AS
WITH chosen AS (
    SELECT s.section_id, s.course_id, s.school_id, s.calendar_id, cal.summer
    FROM section AS s
    LEFT JOIN calendar AS cal USING (calendar_id)
    WHERE list_contains($calendars, s.calendar_id)
), credit AS (
    SELECT s.section_id, sum(CASE WHEN x.term_code IS NOT NULL THEN t.credit ELSE 0 END) AS credit
    FROM chosen AS s
    JOIN grading_task AS t ON t.course_id = s.course_id AND t.state_reported AND t.credit IS NOT NULL
    JOIN grading_task_term AS m ON m.course_id = t.course_id AND m.task_id = t.task_id
    LEFT JOIN section_term AS x ON x.section_id = s.section_id AND x.term_code = m.term_code
    GROUP BY s.section_id
), meets AS (
    SELECT s.section_id,
           list({'term_code': x.term_code, 'state_term_code': tm.state_term_code} ORDER BY x.term_code) AS terms,
           min(tm.start_date) AS first_term_start
    FROM chosen AS s
    JOIN section_term AS x ON x.section_id = s.section_id
    LEFT JOIN term AS tm ON tm.calendar_id = s.calendar_id AND tm.term_code = x.term_code
    GROUP BY s.section_id
)
SELECT row_number() OVER (ORDER BY s.course_id, s.section_id)::INTEGER AS section_key,
       s.*, coalesce(m.terms, []) AS terms, m.first_term_start, c.credit, round(c.credit, 2)::VARCHAR AS credit_text,
       coalesce(len(m.terms) > 1 AND (s.summer OR len(m.terms) > len(list_distinct(
           list_transform(m.terms, lambda t: coalesce(nullif(t.state_term_code, ''), ''))))), false) AS terms_may_repeat,
       sc.school_key, sc.serving_rcdts, y.school_year,
       f.state_course_code, f.local_course_title, f.course_level, f.articulated_credit, f.dual_credit,
       f.course_setting, f.language_code, f.competency_based,
       f.no_state_code, f.state_excluded, f.is_dual_credit, f.no_state_task
FROM chosen AS s
LEFT JOIN meets AS m USING (section_id)
LEFT JOIN credit AS c USING (section_id)
JOIN ilsca_school AS sc USING (school_id)
LEFT JOIN ilsca_school_year AS y USING (calendar_id)
JOIN ilsca_course AS f USING (course_id);
