"""A small, correct OneRoster 1.1 feed built in code; tests break one thing at a time."""

from __future__ import annotations

import copy
import csv
import io
import zipfile
from pathlib import Path

from sislab.roster.spec import binding
from sislab.roster.writer import manifest_text

GOOD = {
    "orgs": [
        {"sourcedId": "d1", "name": "District", "type": "district"},
        {"sourcedId": "s1", "name": "North High", "type": "school", "parentSourcedId": "d1"},
    ],
    "academicSessions": [
        {"sourcedId": "y1", "title": "2026-27", "type": "schoolYear", "startDate": "2026-08-01", "endDate": "2027-06-30",
         "schoolYear": "2027"},
        {"sourcedId": "t1", "title": "Fall", "type": "semester", "startDate": "2026-08-01", "endDate": "2026-12-31",
         "parentSourcedId": "y1", "schoolYear": "2027"},
        {"sourcedId": "t2", "title": "Spring", "type": "semester", "startDate": "2027-01-01", "endDate": "2027-06-30",
         "parentSourcedId": "y1", "schoolYear": "2027"},
    ],
    "courses": [
        {"sourcedId": "c1", "schoolYearSourcedId": "y1", "title": "Homeroom", "orgSourcedId": "d1"},
        {"sourcedId": "c2", "schoolYearSourcedId": "y1", "title": "Biology", "orgSourcedId": "d1"},
        {"sourcedId": "c3", "schoolYearSourcedId": "y1", "title": "Art", "orgSourcedId": "d1"},
    ],
    "classes": [
        {"sourcedId": "k1", "title": "Homeroom 1", "grades": "09", "courseSourcedId": "c1", "classType": "homeroom",
         "schoolSourcedId": "s1", "termSourcedIds": "t1,t2", "periods": "HR"},
        {"sourcedId": "k2", "title": "Biology 1", "grades": "09,10", "courseSourcedId": "c2", "classType": "scheduled",
         "schoolSourcedId": "s1", "termSourcedIds": "t1", "periods": "1"},
        {"sourcedId": "k3", "title": "Art 1", "grades": "09", "courseSourcedId": "c3", "classType": "scheduled",
         "schoolSourcedId": "s1", "termSourcedIds": "t1", "periods": "2"},
    ],
    "users": [
        {"sourcedId": "u-t1", "enabledUser": "true", "orgSourcedIds": "s1", "role": "teacher", "username": "ann",
         "givenName": "Ann", "familyName": "Lee", "identifier": "T1", "email": "ann@example.org"},
        {"sourcedId": "u-t2", "enabledUser": "true", "orgSourcedIds": "s1", "role": "teacher", "username": "bo",
         "givenName": "Bo", "familyName": "Diaz", "identifier": "T2", "email": "bo@example.org"},
        {"sourcedId": "u-s1", "enabledUser": "true", "orgSourcedIds": "s1", "role": "student", "username": "s1",
         "givenName": "Zoë", "familyName": "O'Brien", "identifier": "1001", "grades": "09"},
        {"sourcedId": "u-s2", "enabledUser": "true", "orgSourcedIds": "s1", "role": "student", "username": "s2",
         "givenName": "José", "familyName": "Smith, Jr.", "identifier": "1002", "grades": "09"},
    ],
    "enrollments": [
        {"sourcedId": "e1", "classSourcedId": "k1", "schoolSourcedId": "s1", "userSourcedId": "u-t1", "role": "teacher",
         "primary": "true"},
        {"sourcedId": "e2", "classSourcedId": "k1", "schoolSourcedId": "s1", "userSourcedId": "u-s1", "role": "student",
         "primary": "false", "beginDate": "2026-08-01"},
        {"sourcedId": "e3", "classSourcedId": "k1", "schoolSourcedId": "s1", "userSourcedId": "u-s2", "role": "student",
         "primary": "false"},
        {"sourcedId": "e4", "classSourcedId": "k2", "schoolSourcedId": "s1", "userSourcedId": "u-t2", "role": "teacher",
         "primary": "true"},
        {"sourcedId": "e5", "classSourcedId": "k2", "schoolSourcedId": "s1", "userSourcedId": "u-s1", "role": "student",
         "primary": "false"},
        {"sourcedId": "e6", "classSourcedId": "k3", "schoolSourcedId": "s1", "userSourcedId": "u-t2", "role": "teacher",
         "primary": "true"},
        {"sourcedId": "e7", "classSourcedId": "k3", "schoolSourcedId": "s1", "userSourcedId": "u-s2", "role": "student",
         "primary": "false"},
    ],
}


def feed() -> dict[str, list[dict]]:
    """A fresh copy of the good feed, to change."""
    return copy.deepcopy(GOOD)


def csv_text(name: str, rows: list[dict], header: list[str] | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = header or binding().columns(name)
    writer.writerow(columns)
    for r in rows:
        writer.writerow([r.get(c, "") for c in columns])
    return out.getvalue()


def make_zip(path: Path, files: dict[str, list[dict]] | None = None, *, raw: dict[str, bytes | str | None] | None = None,
             manifest: str | None = None, folder: str = "") -> Path:
    """Write a feed zip: `files` as CSV, `raw` replaces (or, with None, removes) members by name."""
    files = GOOD if files is None else files
    members: dict[str, bytes | str] = {f"{name}.csv": csv_text(name, rows) for name, rows in files.items()}
    members["manifest.csv"] = manifest if manifest is not None else manifest_text(tuple(files))
    for name, content in (raw or {}).items():
        if content is None:
            members.pop(name, None)
        else:
            members[name] = content
    with zipfile.ZipFile(path, "w") as z:
        for name, content in members.items():
            z.writestr(folder + name, content.encode("utf-8") if isinstance(content, str) else content)
    return path
