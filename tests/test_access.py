"""Users, roles, passwords and school scope (sislab.core.access), the `sislab users` commands,
and the server-side pieces that need no running server (parameters, dashboards, config)."""

from __future__ import annotations

import io
from pathlib import Path

import nbformat
import pytest

from sislab.cli import main
from sislab.core import access, serve, voila_auth
from sislab.core.runner import notebooks_dir
from sislab.core.workspace import Workspace


@pytest.fixture
def ws(tmp_path, monkeypatch) -> Workspace:
    monkeypatch.setenv("SISLAB_REPORTS", str(tmp_path / "reports"))
    monkeypatch.setenv("SISLAB_WORKSPACE", str(tmp_path / "workspace"))
    return Workspace.locate()


# --- passwords -----------------------------------------------------------------------------

def test_password_is_stored_as_salted_scrypt_with_its_parameters():
    first, second = access.hash_password("correct horse"), access.hash_password("correct horse")
    assert first.startswith("scrypt$n=32768,r=8,p=1$") and first != second  # salted
    assert "correct horse" not in first
    assert access.verify_password("correct horse", first) and access.verify_password("correct horse", second)


def test_wrong_or_malformed_password_hash_does_not_verify():
    stored = access.hash_password("correct horse")
    assert not access.verify_password("correct horsE", stored)
    assert not access.verify_password("correct horse", None)
    assert not access.verify_password("correct horse", "md5$abc")
    assert not access.verify_password("correct horse", stored.replace("scrypt", "bcrypt"))


def test_authenticate_takes_the_right_password_of_an_active_user_only(ws):
    access.add_user(ws, "pat", "principal", ["001"], "pat-password")
    access.add_user(ws, "hubby", "principal", ["001"], None)
    assert access.authenticate(ws, "pat", "pat-password").name == "pat"
    assert access.authenticate(ws, "pat", "wrong-password") is None
    assert access.authenticate(ws, "nobody", "pat-password") is None
    assert access.authenticate(ws, "hubby", "") is None  # JupyterHub users have no password here
    assert access.authenticate(ws, "pat'; --", "x") is None


def test_password_shorter_than_eight_characters_is_refused(ws):
    with pytest.raises(access.AccessError, match="at least 8 characters"):
        access.add_user(ws, "pat", "principal", ["001"], "short")


# --- users and roles -----------------------------------------------------------------------

def test_roles_see_all_schools_or_their_own(ws):
    access.add_user(ws, "ada", "admin", [], "admin-password")
    access.add_user(ws, "cas", "coordinator", ["002", "001"], "coordinator-pw")
    access.add_user(ws, "pat", "principal", ["001"], "principal-pw")
    assert access.schools_for(ws, "ada") is access.ALL
    assert access.schools_for(ws, "cas") == ["001", "002"]
    assert access.schools_for(ws, "pat") == ["001"]
    assert access.schools_for(ws, "nobody") == []


def test_roles_allow_what_they_say(ws):
    admin = access.add_user(ws, "ada", "admin", [], "admin-password")
    coordinator = access.add_user(ws, "cas", "coordinator", ["001"], "coordinator-pw")
    principal = access.add_user(ws, "pat", "principal", ["001"], "principal-pw")
    assert access.may(admin, "manage_users") and access.may(admin, "run_jobs")
    assert access.may(coordinator, "run_jobs") and not access.may(coordinator, "manage_users")
    assert access.may(principal, "view") and not access.may(principal, "run_jobs")
    assert not access.may(None, "view")


def test_inactive_user_has_no_scope_and_cannot_sign_in(ws):
    from contextlib import closing

    from sislab.core import store

    access.add_user(ws, "pat", "principal", ["001"], "principal-pw")
    with closing(store.app_state(ws)) as con:
        con.execute("UPDATE app_user SET active = 0 WHERE user_name = 'pat'")
    assert access.schools_for(ws, "pat") == []
    assert access.authenticate(ws, "pat", "principal-pw") is None


@pytest.mark.parametrize("name, role, schools, message", [
    ("pat", "principal", [], "needs at least one school"),
    ("ada", "admin", ["001"], "sees every school: give no school"),
    ("pat", "dean", ["001"], "choose one of admin, coordinator, principal"),
    ("-pat", "principal", ["001"], "user name '-pat'"),
    ("pat", "principal", ["00 1"], "no school 00 1"),
])
def test_user_mistakes_are_named(ws, name, role, schools, message):
    with pytest.raises(access.AccessError, match=message):
        access.add_user(ws, name, role, schools, "long-enough")


def test_school_must_exist_in_the_snapshot(sample_ws, monkeypatch):
    monkeypatch.setenv("SISLAB_WORKSPACE", str(sample_ws.root))
    with pytest.raises(access.AccessError, match="no school 777 in the SIS snapshot"):
        access.add_user(sample_ws, "pat-unknown", "principal", ["777"], "long-enough")
    assert access.get_user(sample_ws, "pat-unknown") is None


def test_remove_and_set_password(ws):
    access.add_user(ws, "pat", "principal", ["001"], "first-password")
    access.set_password(ws, "pat", "second-password")
    assert access.authenticate(ws, "pat", "first-password") is None
    assert access.authenticate(ws, "pat", "second-password")
    access.remove_user(ws, "pat")
    assert access.get_user(ws, "pat") is None and access.schools_for(ws, "pat") == []
    with pytest.raises(access.AccessError, match="no user pat"):
        access.set_password(ws, "pat", "third-password")


def test_demo_users_are_seeded_again_without_duplicates(ws):
    first = access.seed_demo_users(ws)
    again = access.seed_demo_users(ws)
    assert [u.name for u in first] == [u.name for u in again] == [u.name for u in access.list_users(ws)]
    roles = {u.name: (u.role, u.schools) for u in again}
    assert roles["principal.north"] == ("principal", ("001",))
    assert roles["coordinator"] == ("coordinator", ("001", "002"))
    assert access.authenticate(ws, "principal.north", "sislab-demo")


# --- the dashboard school ------------------------------------------------------------------

def test_principal_gets_their_first_school_or_another_of_theirs():
    assert access.dashboard_school(["001", "004"], None) == "001"
    assert access.dashboard_school(["001", "004"], "004") == "004"


@pytest.mark.parametrize("requested", ["002", "", "001 ", "001,002", "../002", "*", "ALL"])
def test_school_outside_the_scope_is_refused(requested):
    with pytest.raises(access.ScopeRefused):
        access.dashboard_school(["001"], requested)


def test_user_without_school_is_refused_and_admin_may_ask_for_all_or_one():
    with pytest.raises(access.ScopeRefused):
        access.dashboard_school([], None)
    assert access.dashboard_school(access.ALL, None) is None
    assert access.dashboard_school(access.ALL, "002") == "002"
    with pytest.raises(access.ScopeRefused):
        access.dashboard_school(access.ALL, "'); import os")


# --- command line --------------------------------------------------------------------------

def test_users_commands_add_list_set_password_remove(ws, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("principal-pw\n"))
    assert main(["users", "add", "pat", "--role", "principal", "--school", "001", "--password-stdin"]) == 0
    assert main(["users", "add", "hub.user", "--role", "coordinator", "--school", "002", "--no-password"]) == 0
    assert main(["users", "list"]) == 0
    out = capsys.readouterr().out
    assert "added pat (principal; schools: 001)" in out
    assert "pat" in out and "password" in out and "hub.user" in out and "JupyterHub" in out
    assert "scrypt" not in out
    monkeypatch.setattr("sys.stdin", io.StringIO("another-password\n"))
    assert main(["users", "set-password", "pat", "--password-stdin"]) == 0
    assert access.authenticate(ws, "pat", "another-password")
    assert main(["users", "remove", "pat"]) == 0
    assert access.get_user(ws, "pat") is None


def test_users_command_mistakes_exit_2_with_the_reason(ws, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("x\n"))
    assert main(["users", "add", "pat", "--role", "principal", "--password-stdin"]) == 2
    assert "needs at least one school" in capsys.readouterr().err
    assert main(["users", "remove", "nobody"]) == 2
    assert "no user nobody" in capsys.readouterr().err


def test_password_is_never_taken_without_a_terminal_or_stdin_flag(ws, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["users", "add", "pat", "--role", "principal", "--school", "001"]) == 2
    assert "--password-stdin" in capsys.readouterr().err


# --- server pieces that need no server -----------------------------------------------------

def test_served_dashboards_are_listed_and_job_forms_are_not():
    listed = {d.notebook for d in voila_auth.read_dashboards(notebooks_dir())}
    assert {"cci_status.ipynb", "district_overview.ipynb"} <= listed
    assert not listed & {"cci_mass_update.ipynb", "schedules.ipynb"}


@pytest.mark.parametrize("dashboard", [d.notebook for d in voila_auth.read_dashboards(notebooks_dir())])
def test_every_dashboard_takes_its_school_from_the_server(dashboard):
    nb = nbformat.read(notebooks_dir() / dashboard, as_version=4)
    injected = voila_auth.with_parameters(nb, {"school": "001", "output_dir": None})
    tags = [c.metadata.get("tags", []) for c in injected.cells]
    at = tags.index(["injected-parameters"])
    assert "parameters" in tags[at - 1]
    assert 'school = "001"' in injected.cells[at].source and "output_dir = None" in injected.cells[at].source
    later = "".join(c.source for c in injected.cells[at + 1:] if c.cell_type == "code")
    assert "QUERY_STRING" not in later and "school =" not in later


def test_notebook_without_school_parameter_is_not_served():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    with pytest.raises(Exception, match="parameters cell declaring school"):
        voila_auth.with_parameters(nb, {"school": "001"})


def test_config_signs_in_scopes_and_caps_kernels(ws):
    c = serve.voila_config(ws, "127.0.0.1", 8866, notebooks_dir(), kernels_per_user=3)
    assert c.Voila.identity_provider_class is voila_auth.SislabIdentityProvider
    assert c.Voila.authorizer_class is voila_auth.KernelOwnerAuthorizer
    assert c.VoilaConfiguration.prelaunch_hook is voila_auth.scope_hook
    assert c.VoilaConfiguration.multi_kernel_manager_class is voila_auth.DashboardKernelManager
    assert c.VoilaConfiguration.allow_template_override == "NO" and c.VoilaConfiguration.file_allowlist == []
    assert c.DashboardKernelManager.kernels_per_user == 3
    assert "preheat_kernel" not in c.VoilaConfiguration  # cannot be combined with the prelaunch hook
    assert Path(c.Voila.tornado_settings[voila_auth.SITE].ws.root) == ws.root


# --- roles wherever a job runs ---------------------------------------------------------------

@pytest.fixture
def district(sample_ws, tmp_path):
    """A copy of the sample district with its demo users (admin, coordinator of 001 and 002,
    principals of 001 and 002)."""
    import shutil

    from sislab.core import store

    ws = Workspace.locate(tmp_path / "district")
    shutil.copyfile(sample_ws.current_snapshot(), ws.tmp / "sample.duckdb")
    store.publish_snapshot(ws, ws.tmp / "sample.duckdb")
    access.seed_demo_users(ws)
    return ws


@pytest.mark.parametrize(("user", "schools", "needed"), [
    ("principal.north", ["001"], "needs the coordinator or admin role; principal.north is a principal"),
    ("coordinator", ["001", "006"], "for school 006 needs that school's coordinator or an admin"),
    ("coordinator", access.ALL, "covers the whole district and needs the admin role"),
    ("stranger", ["001"], "'stranger' is not an active sislab user"),
])
def test_a_job_names_the_role_it_needs(district, user, schools, needed):
    with pytest.raises(access.NotAllowed, match=needed):
        access.authorize(district, user, "The CCI run", schools)


@pytest.mark.parametrize(("user", "schools"), [("admin", access.ALL), ("admin", ["006"]),
                                               ("coordinator", ["001", "002"]), ("coordinator", ["002"])])
def test_admins_run_every_school_and_coordinators_their_own(district, user, schools):
    access.authorize(district, user, "The CCI run", schools)


def test_before_any_user_exists_the_workspace_owner_runs_everything(tmp_path):
    access.authorize(Workspace.locate(tmp_path / "ws"), "anyone", "The CCI run", access.ALL)


def test_a_principal_starts_no_mass_update_and_nothing_is_written(district):
    from sislab.cci import mass_update
    from sislab.core import store

    with pytest.raises(access.NotAllowed, match="needs the coordinator or admin role"):
        mass_update.run(["001"], ws=district, user="principal.north", notify_to=None)
    with store.app_state(district) as con:
        assert con.execute("SELECT count(*) FROM job").fetchone()[0] == 0
    assert not any(district.results.iterdir())


def test_the_job_record_names_the_user_who_ran_it(district):
    from sislab.cci import mass_update

    report = mass_update.run(["002"], ws=district, user="coordinator", notify_to=None)
    from sislab.core import store

    with store.app_state(district) as con:
        assert con.execute("SELECT user_name FROM job WHERE job_id = ?", [report.job_id]).fetchone()[0] == "coordinator"


@pytest.mark.parametrize(("user", "job", "needed"), [
    ("principal.north", ["cci", "run", "--school", "001", "--user", "principal.north"], "coordinator or admin role"),
    ("coordinator", ["cci", "run", "--school", "006", "--user", "coordinator"], "school 006 needs"),
    ("principal.south", ["roster", "build", "--out", "{out}"], "coordinator or admin role"),
])
def test_the_command_line_refuses_a_job_the_role_does_not_allow(district, tmp_path, user, job, needed):
    import os
    import subprocess
    import sys

    out = tmp_path / "out"
    env = {**os.environ, "SISLAB_WORKSPACE": str(district.root), "SISLAB_REPORTS": str(district.reports)}
    done = subprocess.run([sys.executable, "-m", "sislab", "--as-user", user, *[a.format(out=out) for a in job]],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert needed in done.stderr and "Traceback" not in done.stderr and "Nothing was written" in done.stderr
    assert not out.exists() and not list(district.reports.rglob("*.txt"))


@pytest.mark.parametrize(("user", "args"), [
    ("principal.north", ["cci", "students", "--school", "006"]),
    ("coordinator", ["cci", "students", "--school", "006"]),
    ("coordinator", ["cci", "show", "900034"]),  # a student of 006
])
def test_the_command_line_shows_no_student_of_a_school_not_the_users(district, monkeypatch, capsys, user, args):
    from sislab import cli

    monkeypatch.setenv("SISLAB_WORKSPACE", str(district.root))
    monkeypatch.setenv(access.ENV_USER, user)
    assert cli.main(args) == 2
    out, err = capsys.readouterr()
    assert "school 006" in err and "Nothing was shown" in err and "Harjo" not in out + err


def test_the_command_line_shows_the_users_own_school(district, monkeypatch, capsys):
    from sislab import cli

    monkeypatch.setenv("SISLAB_WORKSPACE", str(district.root))
    monkeypatch.setenv(access.ENV_USER, "admin")
    assert cli.main(["cci", "show", "900034"]) == 0
    assert "school 006" in capsys.readouterr().out


def test_a_run_of_a_dashboards_notebook_is_scoped_as_the_dashboard(district):
    """`sislab run cci_status school=006` as a principal of 001 wrote school 006's student results."""
    from sislab.core import runner

    with pytest.raises(access.NotAllowed, match="school 006"):
        runner.run_notebook("cci_status", {"school": "006"}, ws=district, user="principal.north")
    assert not (district.reports / "cci_status").exists()


@pytest.mark.parametrize("user", ["coordinator", "principal.north"])
def test_state_files_for_the_district_need_the_admin_role(district, user, monkeypatch):
    from sislab import ilsca
    from sislab.ag import job as ag_job

    with pytest.raises(access.NotAllowed, match="needs"):
        ilsca.extract_newest_year(district, user=user)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.setenv(access.ENV_USER, user)
    with pytest.raises(access.NotAllowed, match="A-G transcript files"):
        ag_job.write_transcript_files(district, district.reports / "ag")
    assert not [p for p in district.reports.rglob("*") if p.is_file()]


def test_a_scheduled_run_as_a_principal_fails_naming_the_role(district):
    from sislab.core.runner import run_notebook

    result = run_notebook("roster_check", {}, district, user="principal.south")
    assert not result.ok and "needs the coordinator or admin role" in result.error
    assert not [p for p in result.produced_files if p.suffix in (".zip", ".csv")]


def test_a_form_refuses_with_the_role_needed_and_offers_no_file(district, monkeypatch):
    from sislab.widgets import job_forms

    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.setenv(access.ENV_USER, "coordinator")
    form = job_forms.AgForm(district, None)
    form.transcripts.value = True
    form.check()
    assert "covers the whole district and needs the admin role" in form.message.value
    assert not list((district.tmp / "downloads").glob("*")) if (district.tmp / "downloads").exists() else True
