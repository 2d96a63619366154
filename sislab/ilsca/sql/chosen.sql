-- ilsca_chosen: the calendars chosen in the editor, each with whether a student is enrolled
-- in it inside the window (ilsca_enrollment). None enrolled: the run is refused
-- (report.check_enrolled); some: pre-flight names the empty ones.
CREATE OR REPLACE TEMP TABLE ilsca_chosen AS
SELECT c AS calendar_id, c IN (SELECT calendar_id FROM ilsca_enrollment) AS enrolled
FROM unnest($calendars::VARCHAR[]) AS u(c);
