-- Every enabled measure for every student, one row each (the CTE cci_measure), from
-- cci_measure_row: the measure columns of cci_measure_wide one below the other with their words
-- (a UNION ALL the engine writes from measure_words.sql over the enabled measures; a union rather
-- than UNPIVOT, so that filters on a measure's numbers reach each branch and words are built only
-- for the rows kept).
SELECT student_id,
       measure,
       list_position($measure_order, measure) AS ordinal,
       CASE WHEN list_contains($prepared_measures, measure) THEN 'Prepared' ELSE 'Approaching Prepared' END AS tier,
       met,
       rule,
       gap,
       started,
       closable,
       CASE WHEN NOT met THEN requirement END AS requirement,  -- words only for measures not met
       CASE WHEN met THEN NULL
            WHEN NOT diploma THEN concat('no regular diploma in the four-year window, needed for ', measure)
            ELSE missing END AS missing
FROM cci_measure_row
