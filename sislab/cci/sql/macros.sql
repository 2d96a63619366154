-- Wording helpers for what a student is missing ("one college semester, needs two for P3").
-- Text is put together with concat(), one string per call: a chain of || builds one per operator
-- and took twice as long (the words are built for every student not Prepared).
CREATE OR REPLACE TEMP MACRO cci_count(n) AS
    CASE n WHEN 0 THEN 'no' WHEN 1 THEN 'one' WHEN 2 THEN 'two' WHEN 3 THEN 'three' ELSE n::VARCHAR END;
CREATE OR REPLACE TEMP MACRO cci_plural(n, word) AS
    concat(cci_count(n), ' ', word, CASE WHEN n = 1 THEN '' ELSE 's' END);
CREATE OR REPLACE TEMP MACRO cci_score(subject, lvl) AS
    CASE WHEN lvl IS NULL THEN concat('no grade-11 ', subject, ' score') ELSE concat(subject, ' level ', lvl) END;
-- College terms in the calendar's own units: quarters or trimesters (2 thirds of a semester
-- each) when all of a student's college terms are in one such calendar, else semesters (mixed
-- calendars in semester equivalents).
CREATE OR REPLACE TEMP MACRO cci_term_unit(unit, mixed) AS
    CASE WHEN NOT mixed AND unit IN ('quarter', 'trimester') THEN unit ELSE 'semester' END;
CREATE OR REPLACE TEMP MACRO cci_terms(thirds, unit, mixed) AS
    CASE WHEN cci_term_unit(unit, mixed) <> 'semester' THEN cci_plural(thirds // 2, concat('college ', unit))
         WHEN thirds % 3 = 0 THEN cci_plural(thirds // 3, 'college semester')
         ELSE printf('%.1f college semester equivalents (mixed calendars)', thirds / 3) END;
CREATE OR REPLACE TEMP MACRO cci_terms_needed(thirds, unit, mixed) AS  -- whole terms, rounded up
    CASE WHEN cci_term_unit(unit, mixed) = 'semester' THEN (thirds + 2) // 3 ELSE (thirds + 1) // 2 END;
CREATE OR REPLACE TEMP MACRO cci_college_needed(thirds, unit, mixed) AS
    cci_plural(cci_terms_needed(thirds, unit, mixed), concat('college ', cci_term_unit(unit, mixed)));
CREATE OR REPLACE TEMP MACRO cci_award(code) AS lower(replace(code, '_', ' '));
-- Whether a student's codes (awards, work-based learning types; NULL: none) hold any or all of
-- `wanted`: the list is looked into only for the students who have one (a CASE).
CREATE OR REPLACE TEMP MACRO cci_holds_any(codes, wanted) AS
    CASE WHEN codes IS NULL THEN false ELSE list_has_any(codes, wanted) END;
CREATE OR REPLACE TEMP MACRO cci_holds_all(codes, wanted) AS
    CASE WHEN codes IS NULL THEN len(wanted) = 0 ELSE list_has_all(codes, wanted) END;
-- A diploma inside the four-year window of class `year`: on or before 15 August after its
-- last school year (by outcome_date; without a date, completed in that school year or before).
CREATE OR REPLACE TEMP MACRO cci_in_window(outcome_date, completion_year, year) AS
    coalesce(outcome_date <= make_date(year, 8, 15), completion_year <= year, true);
