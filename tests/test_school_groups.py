"""School groups: exported by the SIS or saved in sislab, one list to choose schools from."""

import pytest

from fixtures import write_export
from sislab.cci import mass_update
from sislab.cli import main
from sislab.core import school_groups, store
from sislab.core.importer import import_sis
from sislab.core.workspace import Workspace


@pytest.fixture
def ws(tmp_path):
    ws = Workspace.locate(tmp_path / "ws")
    export = {"school_group": "group_name,school_id\nGrades 9-12,1\nElementary,2\n"}
    import_sis(write_export(tmp_path / "src", export), ws, user="t")
    return ws


def groups(ws):
    with store.snapshot(ws) as con:
        return school_groups.all_groups(ws, con)


def test_exported_groups_are_listed(ws):
    assert groups(ws) == {"Elementary": ["2"], "Grades 9-12": ["1"]}


def test_saved_group_is_listed_and_replaces_an_exported_one_of_the_same_name(ws):
    school_groups.save(ws, "Both", ["2", "1"], "alice")
    school_groups.save(ws, "grades 9-12", ["1", "2"], "alice")
    assert groups(ws) == {"Both": ["1", "2"], "Elementary": ["2"], "grades 9-12": ["1", "2"]}


def test_saving_again_replaces_the_group(ws):
    school_groups.save(ws, "Mine", ["1", "2"], "alice")
    school_groups.save(ws, "MINE", ["2"], "bob")
    assert school_groups.saved(ws) == {"MINE": ["2"]}


def test_group_with_unknown_school_is_refused(ws):
    with pytest.raises(school_groups.GroupError, match="Unknown school '9'"):
        school_groups.save(ws, "Bad", ["1", "9"], "alice")
    assert school_groups.saved(ws) == {}


def test_group_needs_a_name_and_a_school(ws):
    with pytest.raises(school_groups.GroupError, match="needs a name"):
        school_groups.save(ws, "  ", ["1"], "alice")
    with pytest.raises(school_groups.GroupError, match="at least one school"):
        school_groups.save(ws, "Empty", [" "], "alice")


def test_deleting_a_saved_group_brings_back_the_exported_one(ws):
    school_groups.save(ws, "Grades 9-12", ["1", "2"], "alice")
    assert school_groups.delete(ws, "grades 9-12")
    assert groups(ws)["Grades 9-12"] == ["1"]
    assert not school_groups.delete(ws, "grades 9-12")


def test_a_run_can_choose_a_saved_group(ws):
    school_groups.save(ws, "Pilot", ["2", "1"], "alice")
    with store.snapshot(ws) as con:
        assert mass_update.select_schools(con, group="pilot", ws=ws) == ["1", "2"]


def test_groups_cli_saves_lists_and_deletes(ws, capsys):
    assert main(["--workspace", str(ws.root), "groups", "save", "Pilot", "--schools", "1,2", "--user", "a"]) == 0
    assert main(["--workspace", str(ws.root), "groups", "list"]) == 0
    assert "Pilot: 1, 2  (saved)" in capsys.readouterr().out
    assert main(["--workspace", str(ws.root), "groups", "save", "Bad", "--schools", "7"]) == 2
    assert "Unknown school '7'" in capsys.readouterr().err
    assert main(["--workspace", str(ws.root), "groups", "delete", "Pilot"]) == 0
    assert main(["--workspace", str(ws.root), "groups", "delete", "Pilot"]) == 2
