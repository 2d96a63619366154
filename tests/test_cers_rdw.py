"""CERS files with RDW's verdicts: `sislab cers check` must accept what RDW accepts and reject what
it rejects, with RDW's messages.

Each case is derived from RDW's upload validator, SmarterApp/RDW_Common
group/src/main/java/org/opentestsystem/rdw/group/DefaultCsvValidationService.java (commit
37ca168; "DCV" below, with the method that decides the case), read with commons-csv 1.6
(`CSVFormat.DEFAULT.withFirstRecordAsHeader().withIgnoreHeaderCase()`), and from its unit test
DefaultCsvValidationServiceTest.java ("DCVT"). The expected lines are RDW's `Row: n Failure: ...`
texts; [] means RDW accepts the file.
"""

from __future__ import annotations

from datetime import date

import pytest

from sislab import cli
from sislab.cers import check_file, rdw
from sislab.cers.layout import HEADER

TODAY = date(2026, 11, 25)  # school year 2026-27: sislab takes 2025, 2026, 2027 as CERS's years
A, B = "19753091930001", "19753091930002"
H = ",".join(HEADER)
INVALID_HEADERS = ("Row: 0 Failure: Invalid headers. Headers must be in order: [group_name,school_natural_id,"
                   "school_year,subject_code,student_ssid,group_user_login]")
INVALID_CSV = "Row: 0 Failure: File does not appear to be a valid CSV with a header row"


def rows(*lines: str) -> str:
    return "\r\n".join([H, *lines]) + "\r\n"


def quote_error(row: int, commons_csv: str) -> str:
    """sislab's line for a malformed quote on a data row, which RDW answers with no Row line."""
    return (f"Row: {row} Failure: malformed quote [IOException reading next record: java.io.IOException: "
            f"{commons_csv}]: commons-csv throws this from a data row as an IllegalStateException, which RDW's "
            "validator does not catch, so CERS answers the upload with a server error instead of Row lines and "
            "loads nothing")


def students(n: int, group: str = "G 1", school: str = A, subject: str = "ELA", first: int = 0) -> list[str]:
    return [f"{group},{school},2027,{subject},{i:010d}," for i in range(first, first + n)]


CASES = {
    # DCV.validateRecords: a group with a user row and students, one school -> accepted.
    "simple file": (rows(f"G 1,{A},2027,ELA,,t1@district.org", f"G 1,{A},2027,ELA,1234567890,"), []),
    # DCV.validate: withIgnoreHeaderCase + validateHeaders equalsIgnoreCase.
    "header in capitals": (rows(f"G 1,{A},2027,ELA,1234567890,").replace(H, H.upper(), 1), []),
    # DCV.validateHeaders: " group_name" is not equalsIgnoreCase "group_name"; then CSVRecord.get("group_name")
    # finds no such column (IllegalArgumentException) -> the second message.
    "header with a leading space": (" " + rows(f"G 1,{A},2027,ELA,1234567890,"), [INVALID_HEADERS, INVALID_CSV]),
    # DCV.validateHeaders: the six names in order; the records are still read by name, and are fine.
    "header out of order": (("school_natural_id,group_name,school_year,subject_code,student_ssid,group_user_login\r\n"
                             f"{A},G 1,2027,ELA,1234567890,\r\n"), [INVALID_HEADERS]),
    # DCV.validateHeaders compares only the first six names.
    "header with a seventh column": (rows(f"G 1,{A},2027,ELA,1234567890,,note").replace(H, H + ",note", 1), []),
    # commons-csv: a name twice (case ignored) is an IllegalArgumentException while parsing the header.
    "header with a name twice": (H + ",GROUP_NAME\r\n" + f"G 1,{A},2027,ELA,1234567890,,x\r\n", [INVALID_CSV]),
    # DCV.validate: no record after the header.
    "header only": (H + "\r\n", ["Row: 0 Failure: Empty file"]),
    "empty file": ("", ["Row: 0 Failure: Empty file"]),
    # commons-csv DEFAULT ignores empty lines.
    "header and blank lines": (H + "\r\n\r\n\r\n", ["Row: 0 Failure: Empty file"]),
    # DCV.validate: BOMInputStream drops a byte order mark.
    "byte order mark": ("\ufeff" + rows(f"G 1,{A},2027,ELA,1234567890,"), []),
    # DCV.validateRecords: the year must be in the warehouse's school_year table (sislab: current and 2 before).
    "school year 2019": (rows(f"G 1,{A},2019,ELA,1234567890,"), ["Row: 1 Failure: Invalid school year: 2019"]),
    "school year next year": (rows(f"G 1,{A},2028,ELA,1234567890,"), ["Row: 1 Failure: Invalid school year: 2028"]),
    # addUniqueFailure: the same message once, at its first row; another year is another message (DCVT).
    "bad years reported once each": (rows(f"G 1,{A},2019,,1,", f"G 1,{A},2019,,2,", f"G 2,{A},1964,,3,"),
                                     ["Row: 1 Failure: Invalid school year: 2019",
                                      "Row: 3 Failure: Invalid school year: 1964"]),
    # DCV.getAsInt: Integer.valueOf takes a sign and leading zeros, not spaces or "2026-27".
    "school year +2027 and 02027": (rows(f"G 1,{A},+2027,,1234567890,", f"G 1,{A},02027,,1234567891,"), []),
    "school year with a space": (rows(f"G 1,{A},2027 ,ELA,1234567890,"),
                                 ["Row: 1 Failure: Record does not contain a school year"]),
    "school year 2026-27": (rows(f"G 1,{A},2026-27,ELA,1234567890,"),
                            ["Row: 1 Failure: Record does not contain a school year"]),
    # DCV.validateKeyValues: every missing key is reported (failures.add, not unique) and the row skipped.
    "blank school and group": (rows(" ,,2027,ELA,1234567890,", f",{A},2027,ELA,1234567891,",
                                    "G 1,\t,2027,ELA,1234567892,"),
                               ["Row: 1 Failure: Record does not contain a school",
                                "Row: 1 Failure: Record does not contain a group name",
                                "Row: 2 Failure: Record does not contain a group name",
                                "Row: 3 Failure: Record does not contain a school"]),
    # StringUtils.isBlank is Character.isWhitespace: an em space is blank, a no-break space is not.
    "group name of an em space": (rows(f"\u2003,{A},2027,ELA,1234567890,"),
                                  ["Row: 1 Failure: Record does not contain a group name"]),
    "group name of a no-break space": (rows(f"\u00a0,{A},2027,ELA,1234567890,"), []),
    # DCV.validateRecords: subject stripped, compared ignoring case with the warehouse's codes and "all".
    "subject codes any case, spaces": (rows(f"G 1,{A},2027, ela ,1234567890,", f"G 2,{A},2027,ALL,1,",
                                            f"G 3,{A},2027,math,1,"), []),
    "unknown subject": (rows(f"G 1,{A},2027,Science,1234567890,"), ["Row: 1 Failure: Invalid subject: Science"]),
    # DCV subject continuity: a blank subject after a stated one changes nothing.
    "blank subject after a stated one": (rows(f"G 1,{A},2027,ELA,1,", f"G 1,{A},2027,,2,"), []),
    # ... a first blank subject is replaced by the first stated one, then a different one is a failure (DCVT).
    "re-define group subject": (rows(f"G 1,{A},2027,,1,", f"G 1,{A},2027,ELA,2,", f"G 1,{A},2027,Math,3,"),
                                ["Row: 3 Failure: Record is attempting to re-define group subject from [ELA] to [Math]"]),
    "All then ELA": (rows(f"G 1,{A},2027,All,1,", f"G 1,{A},2027,ELA,2,"),
                     ["Row: 2 Failure: Record is attempting to re-define group subject from [All] to [ELA]"]),
    # The SSID and the login are never read for validity (only "is the SSID blank" for the count).
    "row holding only the group key": (rows(f"G 1,{A},2027,,,"), []),
    "exact duplicate rows": (rows(f"G 1,{A},2027,ELA,1234567890,", f"G 1,{A},2027,ELA,1234567890,"), []),
    "SSID and login not checked": (rows(f"G 1,{A},2027,ELA,123,", f"G 1,{A},2027,ELA,,not-an-email"), []),
    # CSVRecord.get: a row shorter than the column read is an IllegalArgumentException ...
    "row of three fields": (rows(f"G 1,{A},2027"), [INVALID_CSV]),
    # ... but group_user_login is never read, so a row without it passes.
    "row of five fields": (rows(f"G 1,{A},2027,ELA,1234567890"), []),
    # DCV.validateStudentCount: 200 rows with an SSID pass; 201 fail, reported at the group's last row.
    "200 students": (rows(*students(200)), []),
    "201 students": (rows(*students(201), *students(1, group="G 2")),
                     [(f"Row: 201 Failure: School [{A}] Group [G 1] contains 201 students.  "
                       "Maximum students allowed per group is 200")]),
    # ... checked when the next group starts, after the school has changed: RDW then names the new school.
    "201 students, then another school": (rows(*students(201), *students(1, school=B)),
                                          [(f"Row: 201 Failure: School [{B}] Group [G 1] contains 201 students.  "
                                            "Maximum students allowed per group is 200")]),
    "user rows do not count": (rows(*students(200), f"G 1,{A},2027,ELA,,t1@district.org"), []),
    # DCV: adjacent rows whose school+group+year match ignoring case are one group: 150 + 60 students.
    "names equal ignoring case make one group": (
        rows(*students(150, group="Reading Intervention 1"), *students(60, group="READING INTERVENTION 1", first=150)),
        [(f"Row: 210 Failure: School [{A}] Group [Reading Intervention 1] contains 210 students.  "
          "Maximum students allowed per group is 200")]),
    "names equal ignoring case re-define the subject": (
        rows(f"Reading 1,{A},2027,ELA,1,", f"READING 1,{A},2027,Math,2,"),
        ["Row: 2 Failure: Record is attempting to re-define group subject from [ELA] to [Math]"]),
    # DCV.validateSchoolGroupYear: a group that comes back after another is out of order (DCVT) ...
    "group out of order": (rows(f"A,{A},2027,,1,", f"B,{A},2027,,2,", f"A,{A},2027,,3,"),
                           ["Row: 3 Failure: Record is out-of-order: sort CSV by school, group, year"]),
    # ... compared with the exact case (a HashSet of strings), so "a" after "A", "B" passes the validator.
    "group back in another case": (rows(f"A,{A},2027,,1,", f"B,{A},2027,,2,", f"a,{A},2027,,3,"), []),
    # DCV.validateSchool: schools contiguous (DCVT) ...
    "school out of order": (rows(f"A,{A},2027,,1,", f"B,{B},2027,,2,", f"C,{A},2027,,3,"),
                            [f"Row: 3 Failure: School [{A}] is out-of-order: sort CSV by school, group, year"]),
    # ... and known to CERS (sislab cannot see CERS's list: a 14-digit CDS code stands for known).
    "unknown school": (rows("A,1975309193000,2027,,1,", f"B,{A},2027,,2,"),
                       ["Row: 1 Failure: School [1975309193000] can not be found"]),
    "two schools in order": (rows(f"A,{A},2027,,1,", f"B,{A},2027,,2,", f"B,{B},2027,,3,"), []),
    # commons-csv 1.6 Lexer.parseEncapsulatedToken: text after a closing quote is an IOException. On the header
    # line it is thrown by CSVParser's constructor (initializeHeader), and DCV.validate answers with its message ...
    "malformed quote on the header line": ('"group_name"x' + rows(f"G 1,{A},2027,ELA,1234567890,")[10:],
                                           ["Row: 0 Failure: Error reading file [(line 1) invalid char between "
                                            "encapsulated token and delimiter]"]),
    # ... on a data row CSVParser's iterator (getNextRecord) wraps it in an IllegalStateException, which DCV.validate
    # does not catch: no Row line from RDW (the upload fails); sislab names the row and commons-csv's words.
    "malformed quote on a data row": (
        rows(f'"G 1"x,{A},2027,ELA,1234567890,'),
        [quote_error(1, "(line 2) invalid char between encapsulated token and delimiter")]),
    # ... its line counts the line breaks inside quoted values too (ExtendedBufferedReader.getCurrentLineNumber);
    "malformed quote after a name with a line break": (
        rows(f'"G\n1",{A},2027,ELA,1234567890,', f'"G 2"x,{A},2027,ELA,1234567890,'),
        [quote_error(2, "(line 4) invalid char between encapsulated token and delimiter")]),
    # ... a quote never closed fails at the end of the file, naming the line it opened on;
    "quote never closed": (rows(f"G 1,{A},2027,ELA,1234567890,", f'"G 2,{A},2027,ELA,1234567891,'),
                           [quote_error(2, "(startline 3) EOF reached before encapsulated token finished")]),
    # ... and the exception ends DCV.validate: the failures found before it (here row 1's) are never reported.
    "malformed quote after other failures": (
        rows(f"G 1,{A},2019,Science,1234567890,", f'"G 2"x,{A},2027,ELA,1234567891,'),
        [quote_error(2, "(line 3) invalid char between encapsulated token and delimiter")]),
    # Lexer.parseEncapsulatedToken skips whitespace between a closing quote and the comma: the name is "G 1",
    # so the second row is the first's group and re-defines its subject.
    "spaces after a closing quote": (rows(f'"G 1",{A},2027,ELA,1234567890,', f'"G 1" \t,{A},2027,Math,1234567891,'),
                                     ["Row: 2 Failure: Record is attempting to re-define group subject from [ELA] "
                                      "to [Math]"]),
    # A quoted name may hold a comma; RDW reads it as one field.
    "quoted name with a comma": (rows(f'"Smith, Ann 1",{A},2027,ELA,1234567890,'), []),
}


def verdict(tmp_path, text: str) -> list[str]:
    path = tmp_path / "groups.csv"
    path.write_bytes(text.encode("utf-8"))
    return [f.text() for f in check_file(path, today=TODAY) if f.rule == "rdw"]


@pytest.mark.parametrize("case", list(CASES))
def test_cers_check_gives_rdws_verdict(tmp_path, case):
    text, expected = CASES[case]
    found = verdict(tmp_path, text)
    assert found == expected


def test_names_are_read_as_rdw_reads_them_spaces_after_a_closing_quote_skipped(tmp_path):
    path = tmp_path / "groups.csv"
    path.write_text(rows(f'"G 1" ,{A},2027,ELA,1234567890,', f"G 1,{A},2027,ELA,1234567891,"), encoding="utf-8")
    assert check_file(path, today=TODAY) == []  # no untrimmed name, no name collision: one group "G 1"


def test_rdw_names_each_school_it_accepts():
    results = rdw.validate(rows(f"A,{A},2027,,1,", f"B,{A},2027,,2,", f"B,{B},2027,,3,"), {2027})
    assert [r.text() for r in results] == [f"2 groups accepted for {A}.", f"1 group accepted for {B}."]


def test_a_latin1_file_gets_a_clear_message_and_no_traceback(tmp_path, capsys):
    path = tmp_path / "latin1.csv"
    path.write_bytes(rows(f"Álgebra 1,{A},2027,Math,1234567890,").encode("latin-1"))
    [finding] = check_file(path, today=TODAY)
    assert finding.severity == "error" and finding.rule == "encoding"
    assert "latin1.csv is not UTF-8: byte 0xC1 on line 2" in finding.message
    assert cli.main(["cers", "check", str(path), "--as-of", str(TODAY)]) == 1
    out = capsys.readouterr()
    assert "not UTF-8" in out.out and "Traceback" not in out.out + out.err


def test_cli_check_prints_rdws_lines_and_fails_on_a_rejected_file(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(" " + rows(f"G 1,{A},2027,ELA,1234567890,"))
    assert cli.main(["cers", "check", str(path), "--as-of", str(TODAY)]) == 1
    assert INVALID_HEADERS in capsys.readouterr().out


def test_cli_check_of_a_missing_file_is_a_user_error(tmp_path, capsys):
    assert cli.main(["cers", "check", str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv" in capsys.readouterr().err


def test_cli_check_knows_the_schools_of_the_sis_data(tmp_path, capsys):
    path = tmp_path / "typo.csv"
    path.write_text(rows(f"G 1,{A},2027,ELA,1234567890,", "G 2,19753091939999,2027,ELA,1234567891,"))
    assert [f.text() for f in check_file(path, today=TODAY) if f.severity == "error"] == []  # 14 digits
    assert cli.main(["cers", "check", str(path), "--as-of", str(TODAY)]) == 1  # the session's sample district
    out = capsys.readouterr().out
    assert "Schools CERS knows: the 7 CDS codes of the SIS data" in out
    assert "Row: 2 Failure: School [19753091939999] can not be found" in out
