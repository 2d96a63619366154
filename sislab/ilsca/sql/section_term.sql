-- ilsca_section_term: the terms each section meets in (ilsca_section.terms), one row per term:
-- `pos`, its place among the section's terms (1 = first), `bit`, its bit in a grade's term
-- mask (1 << (pos - 1), ilsca_section_task), its code and state term code. Small (sections x
-- terms): a record's terms are found by joining it (rows.sql), not by unpacking a list per pair.
CREATE OR REPLACE TEMP TABLE ilsca_section_term AS
SELECT s.section_key, s.section_id, t.pos::INTEGER AS pos,
       CASE WHEN t.pos <= 64 THEN 1::UBIGINT << (t.pos - 1)
            ELSE error('section ' || s.section_id || ' meets in more than 64 terms') END AS bit,
       t.term.term_code AS term_code,
       t.term.state_term_code AS state_term_code
FROM ilsca_section AS s, unnest(s.terms) WITH ORDINALITY AS t(term, pos);
