-- Wording helpers for what a student is missing ("one college semester, needs two for P3").
-- Text is put together with concat(), one string per call: a chain of || builds one per operator
-- and took twice as long (the words are built for every student not Prepared).
CREATE OR REPLACE TEMP MACRO cci_count(n) AS
    CASE n WHEN 0 THEN 'no' WHEN 1 THEN 'one' WHEN 2 THEN 'two' WHEN 3 THEN 'three' ELSE n::VARCHAR END;
CREATE OR REPLACE TEMP MACRO cci_plural(n, word) AS
    concat(cci_count(n), ' ', word, CASE WHEN n = 1 THEN '' ELSE 's' END);
CREATE OR REPLACE TEMP MACRO cci_score(subject, lvl) AS
    CASE WHEN lvl IS NULL THEN concat('no grade-11 ', subject, ' score') ELSE concat(subject, ' level ', lvl) END;
CREATE OR REPLACE TEMP MACRO cci_semesters(thirds) AS
    CASE WHEN thirds % 3 = 0 THEN cci_plural(thirds // 3, 'college semester')
         ELSE printf('%.1f college semesters', thirds / 3) END;
CREATE OR REPLACE TEMP MACRO cci_award(code) AS lower(replace(code, '_', ' '));
