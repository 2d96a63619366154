"""Small SIS exports built in code, for tests that need an import folder."""

from __future__ import annotations

from pathlib import Path

MINIMAL_EXPORT = {
    "district": "district_id,name,state,cds_code\n0161259,Sample Unified,CA,0161259\n",
    "school": (
        "school_id,name,cds_code,school_type,low_grade,high_grade,active\n"
        "1,North High,01612590130001,HS,9,12,Y\n"
        "2,Oak Elementary,01612596000002,ES,0,5,Y\n"
    ),
    "calendar": "calendar_id,school_id,school_year,name,summer\nC1,1,2025,North 2024-25,N\n",
    "term": (
        "calendar_id,term_code,term_type,state_term_code,start_date,end_date\n"
        "C1,S1,semester,01,2024-08-14,2024-12-20\n"
        "C1,S2,semester,02,2025-01-06,2025-06-06\n"
    ),
    "staff": (
        "staff_id,last_name,first_name,email,school_id,active\n"
        "T1,Nguyen,Ann,ann.nguyen@example.org,1,Y\n"
        "T2,O'Hara,Seán,,1,Y\n"
    ),
    "student": (
        "student_id,state_id,last_name,first_name,birth_date,grade,school_id,counselor_id\n"
        "1001,1234567890,Núñez,José,2008-03-04,11,1,T1\n"
        "1002,,O'Brien,Zoë,04/05/2009,10,1,\n"
        "1003,2234567890,\"Smith, Jr.\",Al,2015-01-02,4,2,\n"
    ),
    "enrollment": (
        "student_id,school_id,calendar_id,start_date,end_date,grade,enrollment_type\n"
        "1001,1,C1,2024-08-14,,11,primary\n"
        "1002,1,C1,2024-08-14,2025-06-06,10,primary\n"
        "1003,2,,2024-08-14,,4,primary\n"
    ),
    "course": "course_id,title,ag_area,honors\nE11,English 11,b,N\nM2,Math II,c,N\n",
    "section": "section_id,school_id,course_id,calendar_id,period\n101,1,E11,C1,1\n102,1,M2,C1,2\n",
    "roster": (
        "section_id,student_id,start_date,end_date\n"
        "101,1001,2024-08-14,\n"
        "102,1002,2024-08-14,2025-06-06\n"
    ),
}


def write_export(folder: Path, overrides: dict[str, str | bytes | None] | None = None) -> Path:
    """Write MINIMAL_EXPORT (with `overrides`: None removes a file) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {**MINIMAL_EXPORT, **(overrides or {})}
    for table, content in files.items():
        path = folder / f"{table}.csv"
        if content is None:
            continue
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return folder
