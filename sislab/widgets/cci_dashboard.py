"""The CCI status dashboard's tables, chart and drill-down (notebooks/cci_status.ipynb).

It shows what the mass update published (`sislab.cci.dashboard`); it imports nothing of the
mass update or the jobs core, so a principal's page starts fast. Widget callbacks take values
the browser chooses: the drill-down only looks students up among those the page was given.
"""

from __future__ import annotations

import html

import ipywidgets as w
import pandas as pd
from IPython.display import HTML, display

from sislab.cci import dashboard
from sislab.cci.published import GRADUATED, POTENTIAL, local_time
from sislab.cci.rules import load_rule_set
from sislab.core import store
from sislab.core.workspace import NoWorkspace

from . import download_link, show_figure, show_message, show_table, stacked_bar

COLOURS = {"Blue": ("#1f4e9c", "white"), "Green": ("#2f855a", "white"), "Yellow": ("#f6e05e", "black"),
           "Orange": ("#dd6b20", "white"), "Red": ("#c53030", "white")}
STATUS_COLUMNS = {"school_name": "School", "population": "Class", "students": "Students", "prepared": "Prepared",
                  "approaching": "Approaching", "status": "Status (% Prepared)", "status_level": "Level",
                  "change": "Change", "change_level": "Change level", "colour": "Colour", "note": "Note",
                  "computed_at": "Computed"}
STUDENT_FIELDS = {"school_name": "School", "level": "Level", "measures_met": "Measures met",
                  "best_measure": "Best measure", "missing": "What is missing", "flags": "Flags",
                  "outcome": "Outcome", "computed_at": "Computed"}
MATCHES_SHOWN = 200


def show_page(school: str | None = None, rule_set: str | None = None, output_dir=None) -> None:
    """The whole dashboard from one notebook cell: status, chart with the measures, near misses,
    the student list and the drill-down; with `output_dir`, the tables as CSV files too. One
    cell, because Voilà runs each cell as a round trip to the kernel before it sends the page."""
    dash = load_dashboard(school=school, rule_set=rule_set)
    if dash is None:
        return
    sections = (("Status per school", "Status is % Prepared of the class; change is from the prior year's class; "
                 "the seniors' row is their potential status if they graduate with what they have now.", show_status),
                ("% Prepared by school and measure", "", show_prepared_chart),
                ("Near misses: seniors one requirement away from Prepared", "", show_near_misses),
                ("Students", "", show_students))
    for heading, text, show in sections:
        display(HTML(f"<h2>{html.escape(heading)}</h2>" + (f"<p>{html.escape(text)}</p>" if text else "")))
        show(dash)
    dashboard.write_outputs(dash, output_dir)


def show_students(dash: dashboard.CciDashboard) -> None:
    """The student list's download and the drill-down."""
    student_list(dash)
    display(student_drilldown(dash))


def load_dashboard(school: str | None = None, rule_set: str | None = None) -> dashboard.CciDashboard | None:
    """The published results for the page, or a notice and None (nothing imported/published)."""
    try:
        with store.snapshot() as con:
            return dashboard.load(con, school=school, rule_set=rule_set)
    except NoWorkspace as e:
        show_message(str(e), "warning")
    except store.NoSnapshot:
        show_message("No SIS data has been imported yet; this page shows CCI results afterwards.", "warning")
    except dashboard.NoResults as e:
        show_message(str(e), "warning")
    return None


def show_status(dash: dashboard.CciDashboard) -> None:
    """Status per school (the scored class and seniors' potential) with the colour cell coloured."""
    if dash.status.empty:
        show_message("No student of the chosen school is counted for this rule set.")
        return
    status = dash.status
    labels = {GRADUATED: "Class of {}", POTENTIAL: "Seniors (class of {}), potential"}
    table = status.assign(
        population=[labels[p].format(year) for p, year in zip(status["population"], status["cohort_year"])],
        computed_at=status["computed_at"].map(local_time))[list(STATUS_COLUMNS)]
    styled = (table.rename(columns=STATUS_COLUMNS).style.hide(axis="index")
              .format(na_rep="", precision=1, escape="html")
              .map(_colour_cell, subset=["Colour"]).set_table_attributes('class="sislab-table sislab-cci-status"'))
    display(HTML(styled.to_html()))


def _colour_cell(value) -> str:
    background, text = COLOURS.get(value, ("", ""))
    return f"background-color: {background}; color: {text}; font-weight: bold" if background else ""


def show_prepared_chart(dash: dashboard.CciDashboard) -> None:
    """% Prepared by school, each bar split by the measure that placed the students."""
    wide = dashboard.prepared_by_measure(dash)
    if wide.empty:
        show_message("Nobody is Prepared in the chosen schools yet.")
        return
    measures = [c for c in wide.columns if c not in ("school_id", "school_name")]
    show_figure(stacked_bar(wide, "school_name", measures, f"% Prepared by school and measure (rule set "
                            f"{dash.rule_set})", "% of the class", legend="best measure"))
    show_table(dash.measures.drop(columns="school_id"))
    show_measure_legend(dash)


def show_measure_legend(dash: dashboard.CciDashboard) -> None:
    """What the measure codes of the chart and tables mean, named as in the rule set."""
    codes = [m for m in load_rule_set(dash.rule_set).measures.items()
             if m[0] in set(dash.measures["measure"]) | set(dash.near_misses.get("measure", []))]
    items = "".join(f"<dt>{html.escape(code)}</dt><dd>{html.escape(spec['name'])}</dd>" for code, spec in codes)
    display(HTML(f'<dl class="sislab-legend" style="display:grid;grid-template-columns:4em auto;margin:.5em 0">'
                 f"{items}</dl>"))


def show_near_misses(dash: dashboard.CciDashboard) -> None:
    """Seniors one requirement away from Prepared, one table per missing requirement."""
    if dash.near_misses.empty:
        show_message("No senior is one requirement away from Prepared.")
        return
    download_link(dash.near_misses, dashboard.OUTPUT_FILES["near_misses"],
                  f"Download the near misses ({dash.near_misses['student_id'].nunique()} students, CSV)")
    for requirement, rows in dash.near_misses.groupby("requirement", sort=True):
        display(HTML(f"<h4>{html.escape(requirement)} — {rows['student_id'].nunique()} student(s)</h4>"))
        show_table(rows[["school_name", "last_name", "first_name", "student_id", "measure", "level", "missing"]])


def student_drilldown(dash: dashboard.CciDashboard) -> w.VBox:
    """Find any student the page lists — the scored class and the seniors of the near-miss
    list — by name or id; show level, measures met and what is missing."""
    seniors = _seniors(dash)
    choices = dash.student_choices() + [(f"{label} · senior", sid) for label, sid in seniors]
    senior_ids = {sid for _, sid in seniors}
    find = w.Text(description="Find", placeholder="name or student id")
    pick = w.Select(description="Student", options=choices[:MATCHES_SHOWN], rows=8, value=None,
                    layout=w.Layout(width="32em"))
    detail = w.HTML()

    def filter_choices(_=None) -> None:
        needle = find.value.strip().casefold()
        pick.options = [c for c in choices if needle in c[0].casefold()][:MATCHES_SHOWN]

    def show_student(_=None) -> None:
        if pick.value in senior_ids:
            detail.value = _senior_html(dash.near_misses[dash.near_misses["student_id"] == pick.value])
            return
        row = dash.student(pick.value) if pick.value else dash.students.iloc[0:0]
        detail.value = "" if row.empty else _student_html(row.iloc[0])

    find.observe(filter_choices, names="value")
    pick.observe(show_student, names="value")
    return w.VBox([find, pick, detail])


def _seniors(dash: dashboard.CciDashboard) -> list[tuple[str, str]]:
    """(label, student_id) of the near-miss seniors, by name (they are not in the scored class)."""
    seniors = dash.near_misses.drop_duplicates("student_id").sort_values(["last_name", "first_name", "student_id"])
    return [(f"{_text(r.last_name)}, {_text(r.first_name)} ({r.student_id})", r.student_id)
            for r in seniors.itertuples()]


def _senior_html(rows: pd.DataFrame) -> str:
    """A senior of the near-miss list: their level now and each requirement they are one away from."""
    first = rows.iloc[0]
    ways = "".join(f"<tr><td>{html.escape(_text(r.requirement))}</td><td>{html.escape(_text(r.measure))}</td>"
                   f"<td>{html.escape(_text(r.missing))}</td></tr>" for r in rows.itertuples())
    name = f"{_text(first['last_name'])}, {_text(first['first_name'])} ({first['student_id']})"
    return (f"<h4>{html.escape(name)} — senior</h4><p>{html.escape(_text(first['school_name']))}; level now: "
            f"{html.escape(_text(first['level']))}. One requirement away from Prepared:</p>"
            "<table class='sislab-table'><tr><th>Requirement</th><th>Measure</th><th>What is missing</th></tr>"
            f"{ways}</table>")


def _text(value) -> str:
    """A cell as text: a blank stays blank (never "None" or "nan")."""
    return "" if value is None or pd.isna(value) else str(value)


def _student_html(row: pd.Series) -> str:
    cells = "".join(f"<tr><th style='text-align:left'>{html.escape(label)}</th>"
                    f"<td>{html.escape(_text(row[key]))}</td></tr>"
                    for key, label in STUDENT_FIELDS.items())
    name = f"{row['last_name']}, {row['first_name']} ({row['student_id']})"
    return f"<h4>{html.escape(name)}</h4><table class='sislab-table'>{cells}</table>"


def student_list(dash: dashboard.CciDashboard) -> None:
    """The download link of the student list (one click; the server sends the file)."""
    download_link(dash.students, dashboard.OUTPUT_FILES["students"],
                      f"Download the student list ({len(dash.students)} students, CSV)")
