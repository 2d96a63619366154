-- Generated from sislab/core/model.py by `sislab model --ddl`. Do not edit.

-- The district itself; exactly the one row an export describes.
-- key: (district_id)
CREATE TABLE district (
    district_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    cds_code VARCHAR,
    rcdts VARCHAR
);

-- Schools of the district, active or not.
-- key: (school_id)
CREATE TABLE school (
    school_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    cds_code VARCHAR,
    rcdts VARCHAR,
    school_type VARCHAR NOT NULL,
    low_grade INTEGER NOT NULL,
    high_grade INTEGER NOT NULL,
    active BOOLEAN,
    tracks_primary_classes BOOLEAN,
    flex_schedule BOOLEAN,
    atp_code VARCHAR
);

-- Named sets of schools (e.g. 'grades 9-12') used to pick schools for a run.
-- key: (group_name, school_id)
CREATE TABLE school_group (
    group_name VARCHAR NOT NULL,
    school_id VARCHAR NOT NULL
);

-- A school's calendar for one school year; summer school has its own.
-- key: (calendar_id)
CREATE TABLE calendar (
    calendar_id VARCHAR NOT NULL,
    school_id VARCHAR NOT NULL,
    school_year INTEGER NOT NULL,
    name VARCHAR NOT NULL,
    summer BOOLEAN
);

-- Terms of a calendar (S1, S2, Q1..Q4, T1..T3, SU).
-- key: (calendar_id, term_code)
CREATE TABLE term (
    calendar_id VARCHAR NOT NULL,
    term_code VARCHAR NOT NULL,
    term_type VARCHAR NOT NULL,
    state_term_code VARCHAR,
    start_date DATE NOT NULL,
    end_date DATE NOT NULL
);

-- Teachers, counselors and other staff.
-- key: (staff_id)
CREATE TABLE staff (
    staff_id VARCHAR NOT NULL,
    last_name VARCHAR NOT NULL,
    first_name VARCHAR NOT NULL,
    email VARCHAR,
    state_educator_id VARCHAR,
    school_id VARCHAR,
    active BOOLEAN,
    is_counselor BOOLEAN
);

-- Students currently or formerly enrolled.
-- key: (student_id)
CREATE TABLE student (
    student_id VARCHAR NOT NULL,
    state_id VARCHAR,
    last_name VARCHAR NOT NULL,
    first_name VARCHAR NOT NULL,
    middle_name VARCHAR,
    protected_last_name VARCHAR,
    protected_first_name VARCHAR,
    birth_date DATE NOT NULL,
    gender VARCHAR,
    grade INTEGER NOT NULL,
    school_id VARCHAR NOT NULL,
    counselor_id VARCHAR,
    email VARCHAR,
    hispanic BOOLEAN,
    race_code VARCHAR,
    el BOOLEAN,
    ltel BOOLEAN,
    sed BOOLEAN,
    swd BOOLEAN,
    foster BOOLEAN,
    homeless BOOLEAN,
    parent_opt_out BOOLEAN
);

-- Enrollment spans of students at schools.
-- key: (student_id, school_id, start_date)
CREATE TABLE enrollment (
    student_id VARCHAR NOT NULL,
    school_id VARCHAR NOT NULL,
    calendar_id VARCHAR,
    start_date DATE NOT NULL,
    end_date DATE,
    grade INTEGER NOT NULL,
    enrollment_type VARCHAR NOT NULL,
    single_parent BOOLEAN,
    displaced_homemaker BOOLEAN,
    home_rcdts VARCHAR,
    serving_rcdts VARCHAR
);

-- The course catalog.
-- key: (course_id)
CREATE TABLE course (
    course_id VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    transcript_abbrev VARCHAR,
    department VARCHAR,
    subject_area VARCHAR,
    state_course_code VARCHAR,
    ag_area VARCHAR,
    honors BOOLEAN,
    ap BOOLEAN,
    ib BOOLEAN,
    cte_pathway VARCHAR,
    cte_capstone BOOLEAN,
    jrotc BOOLEAN,
    nonstandard_level VARCHAR,
    dual_credit BOOLEAN,
    articulated_credit BOOLEAN,
    course_level VARCHAR,
    course_setting VARCHAR,
    language_code VARCHAR,
    competency_based BOOLEAN,
    state_exclude BOOLEAN,
    credits DECIMAL(9,3),
    active BOOLEAN
);

-- Sections of the master schedule.
-- key: (section_id)
CREATE TABLE section (
    section_id VARCHAR NOT NULL,
    school_id VARCHAR NOT NULL,
    course_id VARCHAR NOT NULL,
    calendar_id VARCHAR NOT NULL,
    period VARCHAR,
    primary_class BOOLEAN,
    homeroom BOOLEAN
);

-- Terms a section meets in (multi-term sections have several rows).
-- key: (section_id, term_code)
CREATE TABLE section_term (
    section_id VARCHAR NOT NULL,
    term_code VARCHAR NOT NULL
);

-- Teachers of a section; one is primary.
-- key: (section_id, staff_id)
CREATE TABLE section_staff (
    section_id VARCHAR NOT NULL,
    staff_id VARCHAR NOT NULL,
    primary_teacher BOOLEAN,
    start_date DATE,
    end_date DATE
);

-- Students in sections, with their dates.
-- key: (section_id, student_id, start_date)
CREATE TABLE roster (
    section_id VARCHAR NOT NULL,
    student_id VARCHAR NOT NULL,
    start_date DATE NOT NULL,
    end_date DATE,
    schedule_start_date DATE
);

-- Grading scales: each score and the state grade it maps to (blank = not mapped).
-- key: (score_group_id, score)
CREATE TABLE score_group (
    score_group_id VARCHAR NOT NULL,
    score VARCHAR NOT NULL,
    state_grade VARCHAR
);

-- Grading tasks assigned to a course (semester grade, progress grade, ...).
-- key: (course_id, task_id)
CREATE TABLE grading_task (
    course_id VARCHAR NOT NULL,
    task_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    state_reported BOOLEAN,
    credit DECIMAL(9,3),
    score_group_id VARCHAR
);

-- The task's term mask: terms of the course's calendars the task is graded in.
-- key: (course_id, task_id, term_code)
CREATE TABLE grading_task_term (
    course_id VARCHAR NOT NULL,
    task_id VARCHAR NOT NULL,
    term_code VARCHAR NOT NULL
);

-- Grades posted (in progress or final) per student, section, grading task and term.
-- key: (student_id, section_id, task_id, term_code)
CREATE TABLE posted_grade (
    student_id VARCHAR NOT NULL,
    section_id VARCHAR NOT NULL,
    task_id VARCHAR NOT NULL,
    term_code VARCHAR NOT NULL,
    score VARCHAR NOT NULL,
    posted_date DATE
);

-- The district's course list as the state holds it (IL: ISBE course codes); optional.
-- key: (state_course_code)
CREATE TABLE state_course (
    state_course_code VARCHAR NOT NULL,
    title VARCHAR
);

-- Course history: one final mark per student, course and term.
-- key: (student_id, course_id, school_year, term_code)
CREATE TABLE mark (
    student_id VARCHAR NOT NULL,
    course_id VARCHAR NOT NULL,
    school_id VARCHAR,
    section_id VARCHAR,
    school_year INTEGER NOT NULL,
    term_code VARCHAR NOT NULL,
    term_type VARCHAR NOT NULL,
    grade INTEGER,
    mark VARCHAR NOT NULL,
    credits_attempted DECIMAL(9,3),
    credits_earned DECIMAL(9,3),
    college_credits DECIMAL(9,3),
    in_district BOOLEAN
);

-- Assessment results: CAASPP, AP, IB, SAT, ACT.
-- key: (student_id, test, subject, school_year)
CREATE TABLE test_score (
    student_id VARCHAR NOT NULL,
    test VARCHAR NOT NULL,
    subject VARCHAR NOT NULL,
    school_year INTEGER NOT NULL,
    grade INTEGER,
    scale_score INTEGER,
    level INTEGER
);

-- CTE pathway completions.
-- key: (student_id, pathway_code)
CREATE TABLE cte_completion (
    student_id VARCHAR NOT NULL,
    pathway_code VARCHAR NOT NULL,
    school_year INTEGER NOT NULL,
    capstone_course_id VARCHAR,
    capstone_mark VARCHAR
);

-- Seals, programs and awards that count for indicators.
-- key: (student_id, award, school_year)
CREATE TABLE award (
    student_id VARCHAR NOT NULL,
    award VARCHAR NOT NULL,
    school_year INTEGER NOT NULL,
    years INTEGER
);

-- Work-based learning completed, by CALPADS work-based learning type (WBLR file).
-- key: (student_id, wbl_type, school_year)
CREATE TABLE work_based_learning (
    student_id VARCHAR NOT NULL,
    wbl_type VARCHAR NOT NULL,
    school_year INTEGER NOT NULL,
    hours INTEGER
);

-- Graduation-cohort membership and outcome, as the state attributes it (an input).
-- key: (student_id, cohort_year)
CREATE TABLE cohort (
    student_id VARCHAR NOT NULL,
    cohort_year INTEGER NOT NULL,
    school_id VARCHAR NOT NULL,
    outcome VARCHAR NOT NULL,
    completion_year INTEGER,
    outcome_date DATE,
    ag_met BOOLEAN,
    ever_el BOOLEAN,
    ever_swd BOOLEAN
);

-- SIS student groups (programs, intervention groups, ...).
-- key: (group_code)
CREATE TABLE student_group (
    group_code VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    school_id VARCHAR
);

-- Members of SIS student groups.
-- key: (group_code, student_id)
CREATE TABLE student_group_member (
    group_code VARCHAR NOT NULL,
    student_id VARCHAR NOT NULL
);

-- A school's A-G course list as exported from the UC Course Management Portal.
-- key: (school_id, uc_course_id)
CREATE TABLE ag_list (
    school_id VARCHAR NOT NULL,
    uc_course_id VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    ag_area VARCHAR NOT NULL,
    honors BOOLEAN,
    status VARCHAR NOT NULL,
    first_year INTEGER NOT NULL,
    last_year INTEGER
);

-- Transcript abbreviations and local course codes of an A-G list entry.
-- key: (school_id, uc_course_id, code)
CREATE TABLE ag_list_code (
    school_id VARCHAR NOT NULL,
    uc_course_id VARCHAR NOT NULL,
    code VARCHAR NOT NULL,
    code_type VARCHAR NOT NULL
);
