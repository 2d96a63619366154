-- App state: many small concurrent writers (jobs, locks' records, users, files made).
-- SQLite in WAL mode; every statement here is idempotent so any process may apply it.

CREATE TABLE IF NOT EXISTS import_run (
    import_id     INTEGER PRIMARY KEY,
    started_at    TEXT NOT NULL,          -- ISO 8601 UTC
    finished_at   TEXT,
    user_name     TEXT NOT NULL,
    source        TEXT NOT NULL,          -- folder imported
    status        TEXT NOT NULL CHECK (status IN ('running', 'published', 'rejected', 'failed', 'died')),
    snapshot      TEXT,                   -- snapshot file published
    row_counts    TEXT,                   -- JSON {table: rows}
    error_count   INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS job (
    job_id        INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,          -- e.g. 'cci', 'cers', 'ilsca'
    user_name     TEXT NOT NULL,
    scope         TEXT NOT NULL,          -- JSON: {"schools": [...]} or other parameters
    status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'died')),
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    pid           INTEGER,
    host          TEXT,
    counts        TEXT,                   -- JSON of what the job produced
    error         TEXT,                   -- message for the user; never student data
    notified      TEXT,                   -- where the completion e-mail went, or why it did not
    snapshot      TEXT                    -- SIS snapshot current when the job started (kept by pruning)
);

CREATE INDEX IF NOT EXISTS job_by_status ON job (status, kind);

CREATE TABLE IF NOT EXISTS job_school (
    job_id        INTEGER NOT NULL REFERENCES job(job_id),
    school_id     TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'skipped', 'failed', 'died')),
    started_at    TEXT,
    finished_at   TEXT,
    note          TEXT,                   -- skipped: who holds the school; failed: the error
    counts        TEXT,                   -- JSON counts the school's work returned
    PRIMARY KEY (job_id, school_id)
);

-- Last started / last completed per job kind and school (what the mass-update page shows).
CREATE TABLE IF NOT EXISTS school_run_state (
    kind            TEXT NOT NULL,
    school_id       TEXT NOT NULL,
    last_started    TEXT,
    last_completed  TEXT,
    last_job_id     INTEGER,
    PRIMARY KEY (kind, school_id)
);

-- Every file sislab produced: the "extracted files" list of each job.
CREATE TABLE IF NOT EXISTS extracted_file (
    file_id       INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    path          TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    user_name     TEXT NOT NULL,
    record_count  INTEGER NOT NULL,
    school_id     TEXT,                   -- NULL for district-wide files
    job_id        INTEGER
);

CREATE TABLE IF NOT EXISTS app_user (
    user_name     TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'principal')),
    display_name  TEXT,
    email         TEXT,
    password_hash TEXT,                   -- scrypt, salted; NULL when sign-in is by JupyterHub
    active        INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE IF NOT EXISTS app_user_school (
    user_name     TEXT NOT NULL REFERENCES app_user(user_name) ON DELETE CASCADE,
    school_id     TEXT NOT NULL,
    PRIMARY KEY (user_name, school_id)
);

-- Scheduled notebook runs (sislab/core/schedule.py). Slots after `due_after` are due; a run
-- is claimed by moving it forward to its slot (so it starts once); adding or re-enabling a
-- schedule sets it to that moment (slots before are never run).
CREATE TABLE IF NOT EXISTS schedule (
    schedule_id   INTEGER PRIMARY KEY,
    notebook      TEXT NOT NULL,          -- notebook name; reports go to reports/<notebook>/<stamp>/
    parameters    TEXT NOT NULL,          -- JSON {name: value} passed to papermill
    days          TEXT NOT NULL,          -- e.g. 'mon,wed,fri'
    time_of_day   TEXT NOT NULL,          -- 'HH:MM', local to time_zone
    time_zone     TEXT NOT NULL,          -- IANA name, e.g. 'America/Los_Angeles'
    enabled       INTEGER NOT NULL DEFAULT 1,
    notify_to     TEXT NOT NULL,          -- comma-separated addresses, validated
    owner         TEXT NOT NULL,
    created_at    TEXT NOT NULL,          -- ISO 8601 UTC
    due_after     TEXT NOT NULL,          -- ISO 8601 UTC
    removed_at    TEXT                    -- removed schedules keep their run history
);

CREATE TABLE IF NOT EXISTS schedule_run (
    run_id        INTEGER PRIMARY KEY,
    schedule_id   INTEGER NOT NULL REFERENCES schedule(schedule_id),
    due_at        TEXT NOT NULL,          -- the slot this run is for (missed slots collapse into one)
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    status        TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'died')),
    error         TEXT,                   -- the failing cell's ename: evalue; never student data
    output_dir    TEXT,
    executed_path TEXT,
    files         TEXT,                   -- JSON [{"file": name, "records": n or null}]
    notified      TEXT,                   -- where the e-mail went, or why it did not
    pid           INTEGER,
    host          TEXT
);

CREATE INDEX IF NOT EXISTS schedule_run_by_schedule ON schedule_run (schedule_id, run_id);

-- CERS Student Groups profiles (sislab/cers/profiles.py): a user's saved choices, owned by
-- that user; `settings` is JSON (roster type, schools, subject, pattern, filters, staff).
CREATE TABLE IF NOT EXISTS cers_profile (
    profile_id    INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    owner         TEXT NOT NULL,
    settings      TEXT NOT NULL,
    scheduled     INTEGER NOT NULL DEFAULT 0,  -- include in the scheduled process
    created_at    TEXT NOT NULL,               -- ISO 8601 UTC
    updated_at    TEXT NOT NULL
);

-- School groups users save in sislab (beside those the SIS exports in school_group.csv).
CREATE TABLE IF NOT EXISTS saved_school_group (
    group_name    TEXT NOT NULL,
    school_id     TEXT NOT NULL,
    saved_by      TEXT NOT NULL,
    saved_at      TEXT NOT NULL,
    PRIMARY KEY (group_name, school_id)
);
