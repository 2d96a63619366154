-- App state: many small concurrent writers (jobs, locks' records, users, files made).
-- SQLite in WAL mode; every statement here is idempotent so any process may apply it.

CREATE TABLE IF NOT EXISTS import_run (
    import_id     INTEGER PRIMARY KEY,
    started_at    TEXT NOT NULL,          -- ISO 8601 UTC
    finished_at   TEXT,
    user_name     TEXT NOT NULL,
    source        TEXT NOT NULL,          -- folder imported
    status        TEXT NOT NULL CHECK (status IN ('running', 'published', 'rejected', 'failed')),
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
    notified      TEXT                    -- where the completion e-mail went, or why it did not
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
