-- ilsca_section_term: the terms each section meets in (ilsca_section.terms), one row per term:
-- `pos`, its place among the section's terms (1 = first), `bit`, its bit in a grade's term
-- mask (1 << (pos - 1); none past the 64th: a state task reaching one is refused by
-- ilsca_section_task), its code and state term code. Small (sections x
-- terms): a record's terms are found by joining it (rows.sql), not by unpacking a list per pair.
-- (unnest in the SELECT list: a lateral unnest is planned as a join back to the sections.)
CREATE OR REPLACE TEMP TABLE ilsca_section_term AS
WITH listed AS (
    SELECT section_key, section_id, unnest(terms) AS term, generate_subscripts(terms, 1)::INTEGER AS pos
    FROM ilsca_section
)
SELECT section_key, section_id, pos,
       CASE WHEN pos <= 64 THEN 1::UBIGINT << (pos - 1) END AS bit,  -- none past 64: see ilsca_section_task
       term.term_code AS term_code, term.state_term_code AS state_term_code
FROM listed;
