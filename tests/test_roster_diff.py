"""The feed diff: who was added, dropped, or moved class between two feeds."""

from __future__ import annotations

from roster_fixtures import feed, make_zip

from sislab.roster import diff_feeds


def changes(tmp_path, new_feed) -> dict[str, dict]:
    old = make_zip(tmp_path / "old.zip")
    new = make_zip(tmp_path / "new.zip", new_feed)
    return {r["sourcedId"]: r for r in diff_feeds(old, new).to_dict("records")}


def enrol(sid, class_id, user_id):
    return {"sourcedId": sid, "classSourcedId": class_id, "schoolSourcedId": "s1", "userSourcedId": user_id,
            "role": "student", "primary": "false"}


def test_diff_reports_a_user_added(tmp_path):
    f = feed()
    f["users"].append(dict(f["users"][2], sourcedId="u-s3", identifier="1003", username="s3"))
    f["enrollments"].append(enrol("e9", "k1", "u-s3"))
    got = changes(tmp_path, f)
    assert got["u-s3"]["change"] == "user_added" and got["u-s3"]["joined_classes"] == "Homeroom 1"
    assert set(got) == {"u-s3"}


def test_diff_reports_a_user_dropped(tmp_path):
    f = feed()
    f["users"] = [u for u in f["users"] if u["sourcedId"] != "u-s2"]
    f["enrollments"] = [e for e in f["enrollments"] if e["userSourcedId"] != "u-s2"]
    got = changes(tmp_path, f)
    assert got["u-s2"]["change"] == "user_dropped"
    assert got["u-s2"]["left_classes"] == "Art 1; Homeroom 1"


def test_diff_reports_a_student_who_moved_class(tmp_path):
    f = feed()
    for e in f["enrollments"]:
        if e["sourcedId"] == "e5":  # u-s1 leaves Biology for Art
            e.update(classSourcedId="k3", sourcedId="e5b")
    got = changes(tmp_path, f)
    assert (got["u-s1"]["change"], got["u-s1"]["left_classes"], got["u-s1"]["joined_classes"]) == \
        ("moved", "Biology 1", "Art 1")


def test_diff_reports_a_class_added_or_dropped_without_a_move(tmp_path):
    f = feed()
    f["enrollments"].append(enrol("e9", "k3", "u-s1"))
    f["enrollments"] = [e for e in f["enrollments"] if e["sourcedId"] != "e7"]
    got = changes(tmp_path, f)
    assert (got["u-s1"]["change"], got["u-s2"]["change"]) == ("class_added", "class_dropped")


def test_diff_of_a_feed_with_itself_is_empty(tmp_path):
    assert changes(tmp_path, feed()) == {}
