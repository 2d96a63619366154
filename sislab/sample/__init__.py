"""The synthetic district: a deterministic generator of SIS export folders.

`generate(out_dir, students, seed)` writes one CSV per table of `sislab.core.model`. The bulk
(students, schedules, marks, scores) is made in DuckDB SQL (`sql/bulk.sql`) from hashes of
the seed and row ids, so the same seed and size give byte-identical files on any number of
threads, and a statewide size runs in minutes. Hand-made scenario students
(`scenarios.toml`), one per indicator rule and boundary, are added on top; `SCENARIOS` maps
each case name to its student id so that tests and demos can find them.

The district is described in `district.toml` (schools, calendars, schedule plan, rates),
`courses.toml` (catalog) and `names.toml`.
"""

from __future__ import annotations

import math
import tempfile
import tomllib
from importlib import resources
from pathlib import Path

import duckdb
import pandas as pd

from sislab.core import model
from sislab.core.store import sql_text

from .scenarios import NOTES, SCENARIOS, scenario_rows, term_dates

__all__ = ["generate", "SCENARIOS", "NOTES", "add_commands", "COMMITTED_SIZE"]

# The committed data/sample was made with these (see data/sample/README.md).
COMMITTED_SIZE = {"students": 3000, "seed": 1}
COLLEGE_LEVELS = ("23", "24")  # CALPADS non-standard instructional levels of college courses


def _toml(name: str) -> dict:
    return tomllib.loads(resources.files(__package__).joinpath(name).read_text(encoding="utf-8"))


def generate(out_dir: str | Path, students: int = 3000, seed: int = 1, *, threads: int | None = None,
             memory_limit: str = "4GB") -> dict[str, int]:
    """Write the synthetic district's `<table>.csv` files into `out_dir`; return rows per table."""
    if students < 100:
        raise ValueError("students must be at least 100")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    config = _toml("district.toml")
    with tempfile.TemporaryDirectory(prefix="sislab-sample-") as scratch:
        # In memory, spilling to `scratch` past memory_limit: a database file would write every
        # row twice (WAL and checkpoint) and made statewide runs disk-bound.
        con = duckdb.connect()
        try:
            con.execute("SET temp_directory = ?", [str(Path(scratch) / "spill")])
            con.execute("SET memory_limit = ?", [memory_limit])
            if threads:
                con.execute("SET threads = ?", [threads])
            _create_tables(con)
            plan = _load_inputs(con, config, students, seed)
            con.execute(sql_text(__package__, "bulk.sql"))
            _insert_rows(con, scenario_rows(config, plan["sections"], _courses()))
            con.execute(sql_text(__package__, "ag.sql"))  # the high schools' UC A-G lists
            con.execute(sql_text(__package__, "ilsca.sql"))  # Illinois: grading tasks, posted grades
            return _write(con, out)
        finally:
            con.close()


def _create_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The model's tables without constraints: the generator must not pay for keys at scale."""
    for t in model.TABLES:
        cols = ", ".join(f"{c.name} {c.sql_type}" for c in t.columns)
        con.execute(f"CREATE TABLE {t.name} ({cols})")


def _write(con: duckdb.DuckDBPyConnection, out: Path) -> dict[str, int]:
    counts = {}
    for t in model.TABLES:
        cols = ", ".join(_csv_value(c) for c in t.columns)
        con.execute(f"COPY (SELECT {cols} FROM {t.name} ORDER BY {', '.join(t.key)}) TO ? (HEADER, DELIMITER ',')",
                    [str(out / t.file_name)])
        counts[t.name] = con.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0]
    return counts


def _csv_value(c: model.Column) -> str:
    if c.type == "bool":
        return f"CASE WHEN {c.name} THEN 'Y' WHEN NOT {c.name} THEN 'N' END AS {c.name}"
    return c.name


def _insert_rows(con: duckdb.DuckDBPyConnection, rows: dict[str, list[dict]]) -> None:
    """Insert hand-made rows (dicts keyed by model column names) into the scratch tables."""
    for name, table_rows in rows.items():
        if not table_rows:
            continue
        t = model.table(name)
        cols = [c.name for c in t.columns]
        unknown = {k for r in table_rows for k in r} - set(cols)
        if unknown:
            raise ValueError(f"{name}: no such columns {sorted(unknown)}")
        values = [[_typed(t.column(c), r.get(c)) for c in cols] for r in table_rows]
        con.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * len(cols))})", values)


def _typed(c: model.Column, value):
    if value is None or value == "":
        return None
    if c.type == "bool" and isinstance(value, str):
        return value.upper() in model.BOOL_TRUE
    return value


# ---- inputs of bulk.sql -------------------------------------------------------------------

def _courses() -> dict[str, dict]:
    """The catalog; flags a course does not set are N."""
    data = _toml("courses.toml")
    flags = {c.name: False for c in model.table("course").columns if c.type == "bool"}
    return {c["course_id"]: {**flags, **data["defaults"], **c} for c in data["course"]}


def _load_inputs(con: duckdb.DuckDBPyConnection, config: dict, students: int, seed: int) -> dict:
    """Variables and p_* tables that bulk.sql reads, plus the district and catalog rows; returns the plan."""
    blocks = max(1, round(students / config["students_per_block"]))
    names = _toml("names.toml")
    variables = {
        "seed": seed, "students": students, "blocks": blocks, "former_per_class": students // 14,
        "first_year": config["first_year"], "current_year": config["current_year"], "today": config["today"],
        "cds_prefix": config["district"]["school_cds_prefix"],
        "rcdts_prefix": config["district"]["school_rcdts_prefix"], "domain": config["district"]["email_domain"],
        "female": names["female"], "male": names["male"], "last": names["last"],
        "race_codes": config["race_codes"], "letters": list(model.MARKS[:13]),
        "rates": config["rates"], "outcomes": config["outcomes"],
    }
    for name, value in variables.items():
        if isinstance(value, dict):
            con.execute(f"SET VARIABLE {name} = MAP(?, ?)", [list(value), [float(v) for v in value.values()]])
        else:
            con.execute(f"SET VARIABLE {name} = ?", [value])
    plan = _plan(config, students)
    tables = {"p_kind": _kinds(config, plan), "p_cal": _calendars(config), "p_term": _terms(config),
              "p_slot": plan["slots"], "p_part": plan["parts"], "p_section": list(plan["sections"].values()),
              "p_course": _course_helpers(plan)}
    for name, rows in tables.items():
        con.from_df(pd.DataFrame(rows)).create(name)
    _insert_rows(con, {"district": [{k: v for k, v in config["district"].items() if k in _district_columns()}],
                       "course": [{k: v for k, v in c.items() if k in _course_columns()} for c in _courses().values()]})
    return plan


def _district_columns() -> set[str]:
    return {c.name for c in model.table("district").columns}


def _course_columns() -> set[str]:
    return {c.name for c in model.table("course").columns}


def _kinds(config: dict, plan: dict) -> list[dict]:
    rows = []
    for k in config["kind"]:
        regular = config["term_sets"][k["calendars"].get("", "year")]
        start, end = term_dates(regular[0][3]), term_dates(regular[-1][4])
        rows.append({
            "kind": k["kind"], "name": k["name"], "school_type": k["school_type"],
            "low_grade": k["grades"][0], "high_grade": k["grades"][1], "active": k.get("active", True),
            "tracks_primary_classes": k.get("tracks_primary_classes", False),
            "flex_schedule": k.get("flex_schedule", False), "atp": k.get("atp", False),
            "first_block_only": k.get("first_block_only", False),
            "counselors": k.get("counselors", 0),
            "n_teachers": plan["teachers"].get(k["kind"], 2),
            "start_m": start[0], "start_d": start[1], "end_m": end[0], "end_d": end[1],
        })
    return rows


def _calendars(config: dict) -> list[dict]:
    labels = {"": "Regular", "-SU": "Summer School", "-CQ": "College (quarters)"}
    return [{"kind": k["kind"], "suffix": suffix, "term_set": term_set, "label": labels[suffix]}
            for k in config["kind"] for suffix, term_set in k["calendars"].items()]


def _terms(config: dict) -> list[dict]:
    rows = []
    for term_set, terms in config["term_sets"].items():
        for code, term_type, state_code, start, end in terms:
            (sm, sd, soff), (em, ed, eoff) = term_dates(start), term_dates(end)
            rows.append({"term_set": term_set, "term_code": code, "term_type": term_type,
                         "state_term_code": state_code or None, "sm": sm, "sd": sd, "soff": soff,
                         "em": em, "ed": ed, "eoff": eoff})
    return rows


def _plan(config: dict, students: int) -> dict:
    """Expand the schedule plan into slot choices, course parts, sections and teacher counts."""
    blocks = max(1, round(students / config["students_per_block"]))
    kinds = {k["kind"]: k for k in config["kind"]}
    same_type = {t: sum(1 for k in kinds.values() if k["school_type"] == t and not k.get("first_block_only"))
                 for t in ("HS", "MS", "ES")}
    first, current = config["first_year"], config["current_year"]
    year_span = {"all": (first, current), "current": (current, current), "past": (first, current - 1)}
    slots, parts, share, sections = [], [], {}, {}
    for entry in config["plan"]:
        y_from, y_to = year_span[entry.get("years", "all")]
        options = entry["options"]
        for kind in entry["kinds"]:
            calendars = kinds[kind]["calendars"]
            for grade in entry["grades"]:
                slots.append({"kind": kind, "grade": grade, "slot": entry["slot"], "n_options": len(options),
                              "by_student": entry.get("pick") == "student", "y_from": y_from, "y_to": y_to})
                for option_no, option in enumerate(options):
                    for part in option.split() if option != "-" else []:
                        course, _, term_text = part.partition(":")
                        suffix = "-CQ" if term_text.startswith("Q") else "-SU" if term_text == "SU" else ""
                        term_set = config["term_sets"][calendars[suffix]]
                        codes = term_text.split("+") if term_text else [t[0] for t in term_set]
                        chosen = [t for t in term_set if t[0] in codes]
                        start, end = term_dates(chosen[0][3]), term_dates(chosen[-1][4])
                        key = (kind, course)
                        share[key] = share.get(key, 0) + 1 / len(options)
                        section = {"kind": kind, "course_id": course, "cal_suffix": suffix,
                                   "period": entry.get("period", str(entry["slot"])),
                                   "homeroom": entry.get("homeroom", False),
                                   "primary_class": entry.get("primary_class", False),
                                   "terms": codes, "y_from": y_from, "y_to": y_to, "n_sec": 1}
                        known = sections.setdefault(key, section)
                        if (known["terms"], known["y_from"]) != (codes, y_from):
                            raise ValueError(f"course {course} is planned twice with different terms at kind {kind}")
                        parts.append({"kind": kind, "grade": grade, "slot": entry["slot"], "option_no": option_no,
                                      "course_id": course, "marked": entry.get("marked", True), "terms": codes,
                                      "term_types": [t[1] for t in chosen], "start_m": start[0], "start_d": start[1],
                                      "start_off": start[2], "end_m": end[0], "end_d": end[1], "end_off": end[2]})
    teachers: dict[int, float] = {}
    for (kind, course), s in sections.items():
        school_type = kinds[kind]["school_type"]
        per_grade = students / 14 / blocks / same_type[school_type] if school_type in same_type else 0
        s["n_sec"] = min(99, max(1, math.ceil(per_grade * share[(kind, course)] / config["class_size"])))
        teachers[kind] = teachers.get(kind, 0) + s["n_sec"] * (s["y_to"] == current)
    catalog = _courses()
    for p in parts:
        p["n_sec"] = sections[(p["kind"], p["course_id"])]["n_sec"]
        p["credits"] = catalog[p["course_id"]].get("credits") or None
        p["pass_fail"] = catalog[p["course_id"]].get("pass_fail", False)
    return {"slots": slots, "parts": parts, "sections": sections,
            "teachers": {k: max(3, math.ceil(n / 5)) for k, n in teachers.items()}}


def _course_helpers(plan: dict) -> list[dict]:
    last_term = {course: s["terms"][-1] for (_, course), s in plan["sections"].items()}
    return [{"course_id": cid, "credits": c.get("credits") or None, "pass_fail": c.get("pass_fail", False),
             "ap": c.get("ap", False), "ib": c.get("ib", False), "exam": c.get("exam"),
             "cte_pathway": c.get("cte_pathway"), "cte_capstone": c.get("cte_capstone", False),
             "college": c.get("nonstandard_level") in COLLEGE_LEVELS, "last_term": last_term.get(cid)}
            for cid, c in _courses().items()]


# ---- command line ---------------------------------------------------------------------------

def add_commands(sub) -> None:
    p = sub.add_parser("sample", help="write the synthetic district (one CSV per table)",
                       description=generate.__doc__)
    p.add_argument("--students", type=int, default=COMMITTED_SIZE["students"],
                   help="current students (default %(default)s; ~6400000 is statewide size)")
    p.add_argument("--seed", type=int, default=COMMITTED_SIZE["seed"])
    p.add_argument("--out", required=True, help="folder to write the CSV files into")
    p.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    p.set_defaults(func=_cmd_sample)


def _cmd_sample(args) -> int:
    from sislab.cli import UserError

    if args.students < 100:
        raise UserError("--students must be at least 100")
    counts = generate(args.out, students=args.students, seed=args.seed, threads=args.threads)
    for name, n in counts.items():
        print(f"{Path(args.out) / (name + '.csv')}: {n} rows")
    return 0
