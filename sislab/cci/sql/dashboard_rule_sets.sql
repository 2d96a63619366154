-- Rule sets with published CCI results, newest first.
SELECT DISTINCT rule_set FROM cci_school_status ORDER BY rule_set DESC
