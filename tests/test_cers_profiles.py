"""Profiles are owned: admins see, change and delete all; others only their own — through the
Python API, the command line and the notebook form alike."""

from __future__ import annotations

import shutil

import pytest

from sislab import cers, cli
from sislab.cers import NotAllowed, Profile, ProfileError
from sislab.core import access
from sislab.core.workspace import Workspace


@pytest.fixture
def ws(tmp_path, sample_ws, monkeypatch):
    """A private workspace on a copy of the sample snapshot, with alice, bob (coordinators),
    root (admin) and pat (principal); alice owns profile 'Alice ELA'."""
    monkeypatch.setenv("SISLAB_WORKSPACE", str(tmp_path / "workspace"))
    monkeypatch.setenv("SISLAB_REPORTS", str(tmp_path / "reports"))
    ws = Workspace.locate()
    shutil.copy(sample_ws.current_snapshot(), ws.snapshots / sample_ws.current_snapshot().name)
    shutil.copy(sample_ws.current_pointer, ws.current_pointer)
    for name, role, schools in (("alice", "coordinator", ["001"]), ("bob", "coordinator", ["002"]),
                                ("root", "admin", []), ("pat", "principal", ["001"])):
        access.add_user(ws, name, role, schools)
    cers.save(ws, "alice", Profile("Alice ELA", "secondary", ("001",), subject="ELA", subject_areas=("ELA",)))
    return ws


def test_owner_sees_changes_and_deletes_own_profile_api(ws):
    assert [p.name for p in cers.visible(ws, "alice")] == ["Alice ELA"]
    changed = cers.save(ws, "alice", Profile("Alice ELA", "secondary", ("001", "002"), subject="ELA"))
    assert changed.schools == ("001", "002") and changed.owner == "alice"
    cers.delete(ws, "alice", "Alice ELA")
    assert cers.visible(ws, "alice") == []


def test_non_admin_cannot_read_change_or_delete_anothers_profile_api(ws):
    assert cers.visible(ws, "bob") == []
    with pytest.raises(NotAllowed):
        cers.get(ws, "bob", "Alice ELA")
    with pytest.raises(NotAllowed):
        cers.save(ws, "bob", Profile("Alice ELA", "counselor", ("002",)))
    profile_id = cers.get(ws, "alice", "Alice ELA").profile_id
    with pytest.raises(NotAllowed):
        cers.get(ws, "bob", profile_id)
    with pytest.raises(NotAllowed):
        cers.delete(ws, "bob", profile_id)
    with pytest.raises(NotAllowed):
        cers.create(ws, "bob", ["Alice ELA"])
    assert cers.get(ws, "alice", "Alice ELA").roster_type == "secondary"


def test_admin_sees_changes_and_deletes_every_profile_api(ws):
    assert [(p.name, p.owner) for p in cers.visible(ws, "root")] == [("Alice ELA", "alice")]
    changed = cers.save(ws, "root", Profile("Alice ELA", "secondary", ("001",), subject="Math", scheduled=True))
    assert changed.owner == "alice" and changed.subject == "Math" and changed.scheduled
    cers.delete(ws, "root", "Alice ELA")
    assert cers.visible(ws, "alice") == []


def test_principal_changes_nothing(ws):
    with pytest.raises(NotAllowed):
        cers.save(ws, "pat", Profile("Pat", "grade_level", ("001",)))
    with pytest.raises(NotAllowed):
        cers.create(ws, "pat", all_profiles=True)


def test_non_admin_cannot_read_change_or_delete_anothers_profile_cli(ws, capsys):
    assert cli.main(["cers", "profiles", "list", "--user", "bob"]) == 0
    assert "Alice ELA" not in capsys.readouterr().out
    assert cli.main(["cers", "profiles", "show", "Alice ELA", "--user", "bob"]) == 2
    assert cli.main(["cers", "profiles", "create", "Alice ELA", "--type", "counselor", "--schools", "002",
                     "--replace", "--user", "bob"]) == 2
    assert cli.main(["cers", "profiles", "delete", "Alice ELA", "--user", "bob"]) == 2
    assert cli.main(["cers", "create", "--profiles", "Alice ELA", "--user", "bob"]) == 2
    assert "No profile 'Alice ELA' that bob can see" in capsys.readouterr().err
    assert cers.get(ws, "alice", "Alice ELA").roster_type == "secondary"


def test_admin_and_owner_paths_cli(ws, capsys):
    assert cli.main(["cers", "profiles", "list", "--user", "root"]) == 0
    assert "owner alice" in capsys.readouterr().out
    assert cli.main(["cers", "profiles", "show", "Alice ELA", "--user", "alice"]) == 0
    assert "subject_areas: ELA" in capsys.readouterr().out
    assert cli.main(["cers", "profiles", "create", "Bob counselors", "--type", "counselor", "--schools", "002",
                     "--scheduled", "--user", "bob"]) == 0
    assert cli.main(["cers", "profiles", "delete", "Bob counselors", "--user", "root"]) == 0
    assert "owner bob" in capsys.readouterr().out


def test_non_admin_cannot_read_change_or_delete_anothers_profile_form(ws):
    from sislab.widgets.cers_form import NEW, CersForm

    form = CersForm(ws, "bob")
    assert form.chooser.options == (NEW,)
    form.load("Alice ELA")
    assert "No profile 'Alice ELA' that bob can see" in form.message.value.replace("&#x27;", "'")
    form.name.value, form.roster_type.value = "Alice ELA", "counselor"
    form.pickers["schools"].value = ("002",)
    form.save()
    assert "taken by another user" in form.message.value
    form.delete("Alice ELA")
    assert "can see" in form.message.value
    assert cers.get(ws, "alice", "Alice ELA").roster_type == "secondary"


def test_owner_and_admin_paths_form(ws):
    from sislab.widgets.cers_form import CersForm

    form = CersForm(ws, "root")
    form.chooser.value = "Alice ELA"
    assert form.pickers["schools"].value == ("001",) and form.subject.value == "ELA"
    form.scheduled.value = True
    form.save()
    assert cers.get(ws, "alice", "Alice ELA").scheduled
    form.delete()
    assert cers.visible(ws, "alice") == []


def test_new_profile_in_form_preselects_a_school_level_users_school(ws):
    from sislab.widgets.cers_form import CersForm

    assert CersForm(ws, "bob").pickers["schools"].value == ("002",)
    assert CersForm(ws, "root").pickers["schools"].value == ()


def test_picker_filter_select_all_clear_all_and_inactive_switch(ws):
    from sislab.widgets.cers_form import CersForm

    schools = CersForm(ws, "root").pickers["schools"]
    assert "009" not in [v for _, v in schools.select.options]  # inactive hidden by default
    schools.show_all.value = True
    assert "009" in [v for _, v in schools.select.options]
    schools.filter.value = "elementary"
    schools.select_all()
    assert schools.value == ("004", "005", "009")
    schools.clear()
    assert schools.value == ()


def test_people_are_listed_by_name_as_a_reader_alphabetizes_accents_and_case_aside(ws):
    """'Álvarez' comes among the A's, not after 'Wong' (byte order puts accented letters last)."""
    import unicodedata

    from sislab.widgets.cers_form import CersForm

    def key(label: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFD", label.casefold()) if not unicodedata.combining(c))

    form = CersForm(ws, "root")
    for picker in ("teachers", "counselors", "staff"):
        labels = [label for label, _ in form.pickers[picker].select.options]
        assert labels == sorted(labels, key=key), picker
    teachers = [label for label, _ in form.pickers["teachers"].select.options]
    assert any(t.startswith("Á") for t in teachers) and not teachers[-1].startswith("Á")


def test_extracted_files_admins_see_all_others_their_own(ws):
    cers.save(ws, "bob", Profile("Bob grades", "grade_level", ("002",), grades=(10,)))  # bob's own school
    [alice_file] = cers.create(ws, "alice", ["Alice ELA"])
    [bob_file] = cers.create(ws, "bob", ["Bob grades"])
    assert alice_file.path and bob_file.path
    assert list(cers.extracted_files(ws, "bob").path) == [str(bob_file.path)]
    assert set(cers.extracted_files(ws, "root").path) == {str(alice_file.path), str(bob_file.path)}
    alice_id = int(cers.extracted_files(ws, "alice").file_id.iloc[0])
    with pytest.raises(ProfileError):
        cers.extracted_file(ws, "bob", alice_id)
    row = cers.extracted_files(ws, "root").iloc[-1]
    assert row.user_name == "alice" and row.record_count == alice_file.build.counts["rows"]


@pytest.mark.parametrize("profile, problem", [
    (Profile("x", "counselor", ("001",), grades=(3,)), "no grades filter"),
    (Profile("x", "secondary", ()), "at least one school"),
    (Profile("x", "elementary_teacher", ("004",), primary_only=True), "no primary only filter"),
    (Profile("x", "nonsense", ("001",)), "Unknown roster type"),
    (Profile("x", "secondary", ("001",), subject="Science"), "Subject area"),
    (Profile("", "secondary", ("001",)), "Profile name"),
    (Profile("North\x92s ELA", "secondary", ("001",)), "without control characters"),  # C1, as group names
    (Profile("North\u2028ELA", "secondary", ("001",)), "without control characters"),
])
def test_profile_choices_are_checked(ws, profile, problem):
    with pytest.raises(ProfileError, match=problem):
        cers.save(ws, "alice", profile)


def test_grades_k_and_tk_are_read_as_the_sis_stores_them(ws, capsys):
    assert Profile("G", "grade_level", ("004",), grades=("K", "tk", "3", 3)).grades == (0, -1, 3)
    with pytest.raises(ProfileError, match="Grade 'Q' is not a grade: use TK, K or 1-12"):
        Profile("G", "grade_level", ("004",), grades=("Q",))
    assert cli.main(["cers", "profiles", "create", "Kinder", "--type", "grade_level", "--schools", "004",
                     "--grades", "K,TK", "--user", "alice"]) == 0
    assert cers.get(ws, "alice", "Kinder").grades == (0, -1)
    assert cli.main(["cers", "profiles", "show", "Kinder", "--user", "alice"]) == 0
    assert "grades: K, TK" in capsys.readouterr().out
    assert cli.main(["cers", "profiles", "create", "Bad", "--type", "grade_level", "--schools", "004",
                     "--grades", "13", "--user", "alice"]) == 2
    assert "Grade '13' is not a grade" in capsys.readouterr().err


def test_unknown_ids_are_refused_when_a_profile_is_saved_unless_allowed(ws, capsys):
    odd = Profile("Odd", "secondary", ("001", "999"), teachers=("NOPE",), staff=("GHOST",))
    with pytest.raises(ProfileError) as refused:
        cers.save(ws, "alice", odd)
    assert "Unknown school 999; unknown teacher NOPE; unknown staff member GHOST in the SIS data" in str(refused.value)
    with pytest.raises(ProfileError, match="Unknown SIS student group Chess Club in"):
        cers.save(ws, "alice", Profile("Groups", "student_group", ("001",), groups=("avid (001)", "Chess Club")))
    with pytest.raises(ProfileError, match="Unknown counselor C404 in"):
        cers.save(ws, "alice", Profile("C", "counselor", ("001",), counselors=("C404",)))
    with pytest.raises(ProfileError, match="Choose at least one school.* Unknown teacher NOPE in the SIS data"):
        cers.save(ws, "alice", Profile("Both", "secondary", (), teachers=("NOPE",)))  # every problem at once
    assert cers.save(ws, "alice", odd, allow_unknown=True).schools == ("001", "999")
    args = ["cers", "profiles", "create", "Odd2", "--type", "secondary", "--schools", "001,999", "--user", "alice"]
    assert cli.main(args) == 2 and "--allow-unknown" in capsys.readouterr().err
    assert cli.main(args + ["--allow-unknown"]) == 0
