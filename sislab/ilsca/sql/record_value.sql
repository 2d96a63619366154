-- ilsca_record_value: every value a record's own written fields can take (Term, Student Course
-- Start Date, Course Credit, Single Parent, Displaced Homemaker), as an ENUM type. ilsca_row
-- stores those five fields as its codes (an integer of 1-2 bytes, not text), so the 2.4 M
-- records are stored, sorted and handed to the state file's writer as integers, and DuckDB hands
-- them to Arrow as dictionaries whose values the writer quotes once (formats.state_lines).
-- Made from the small tables, with the expressions rows.sql writes the fields with: the
-- sections' state term codes, the reporting pairs' course starts, the sections' credits, the
-- layout's codes. A value rows.sql makes that is missing here fails the build (a conversion
-- error), never a wrong file.
CREATE OR REPLACE TEMP TYPE ilsca_record_value AS ENUM (
    SELECT DISTINCT v FROM (
        SELECT left(nullif(state_term_code, ''), $width_term) AS v FROM ilsca_section_term
        UNION ALL
        SELECT left($summer_term, $width_term)
        UNION ALL
        SELECT left(strftime(course_start, '%m/%d/%Y'), $width_course_start_date)
        FROM (SELECT DISTINCT course_start FROM ilsca_scheduled WHERE reports)
        UNION ALL
        SELECT credit_text FROM ilsca_section
        UNION ALL
        SELECT unnest([$credit_default_k8, $credit_default_912,
                       left($yes, $width_single_parent), left($no, $width_single_parent),
                       left($yes, $width_displaced_homemaker), left($no, $width_displaced_homemaker)])
    )
    WHERE v IS NOT NULL
    ORDER BY v
);
