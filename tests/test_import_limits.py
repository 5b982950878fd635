"""Files past the import limits are refused with one line, before they are read in full: too big on
disk, too many rows, a cell past Excel's 32,767 characters, a zip that expands far past its size or
holds thousands of parts. (Time and memory of the big cases: benchmarks/import.py.)"""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from progressbot.cli import main
from storage.errors import ImportFailed
from storage.importers import Limits, TooLarge, read_plan
from storage.importers.limits import MB
from tests.support.plan_builders import minimal_xlsx

FIXTURES = Path(__file__).parent / "fixtures"
PLAN_2019 = FIXTURES / "stockton-2019-ilacs-action-plan.docx"


def _csv(path: Path, rows: int, cell: str = "Do the thing") -> Path:
    lines = ["Ref,Action,Lead,Timescale"] + [
        f"{i},{cell},Head of Service,May 2025" for i in range(1, rows + 1)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_file_over_the_size_limit_is_refused_before_it_is_opened(tmp_path):
    path = _csv(tmp_path / "plan.csv", 50)
    with pytest.raises(TooLarge, match=r"plan.csv: the file is 2.0 KB; the import limit is 1.0 KB"):
        read_plan(path, limits=Limits(max_bytes=1024))
    assert len(read_plan(path).actions) == 50


@pytest.mark.parametrize("kind", ["csv", "xlsx", "docx"])
def test_more_rows_than_the_limit_are_refused_at_the_first_row_past_it(tmp_path, kind):
    rows = [["Ref", "Action", "Lead", "Timescale"]] + [
        [str(i), "Do it", "Head of A", "May 2025"] for i in range(1, 8)
    ]
    path = tmp_path / f"plan.{kind}"
    if kind == "csv":
        path.write_text("\n".join(",".join(r) for r in rows), encoding="utf-8")
    elif kind == "xlsx":
        wb = Workbook()
        for r in rows:
            wb.active.append(r)
        wb.save(path)
    else:
        d = docx.Document()
        table = d.add_table(rows=len(rows), cols=4)
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                table.cell(r, c).text = value
        d.save(str(path))
    with pytest.raises(TooLarge, match=r"more than 5 rows"):
        read_plan(path, limits=Limits(max_rows=5))
    assert len(read_plan(path, limits=Limits(max_rows=8)).actions) == 7


def test_the_real_row_limit_is_20000(tmp_path):
    with pytest.raises(TooLarge, match=r"more than 20,000 rows \(at csv row 20001\)"):
        read_plan(_csv(tmp_path / "plan.csv", 20_000))  # 20,000 actions and the header row


def test_a_cell_over_32767_characters_is_refused_in_every_format(tmp_path):
    long = "x" * 32_768
    with pytest.raises(TooLarge, match=r"plan.csv: csv row 2 holds more than 32,767 characters"):
        read_plan(_csv(tmp_path / "plan.csv", 3, cell=long))
    assert read_plan(_csv(tmp_path / "ok.csv", 1, cell="x" * 32_767)).actions[0].title == "x" * 300

    # openpyxl cuts a cell to 32,767 characters when it saves, so this workbook is written by hand.
    for shared in (False, True):
        path = minimal_xlsx(
            tmp_path / f"plan-{shared}.xlsx",
            [["Action", "Lead", "RAG"], [long, "Head of A", "Green"]],
            shared=shared,
        )
        with pytest.raises(TooLarge, match=r"holds more than 32,767 characters"):
            read_plan(path)
    path = minimal_xlsx(
        tmp_path / "ok.xlsx", [["Action", "Lead", "RAG"], ["x" * 32_767, "Head of A", "Green"]]
    )
    assert read_plan(path).actions[0].leads == [
        "Head of A"
    ]  # a lower-case action with its own lead is an action

    d = docx.Document()
    table = d.add_table(rows=2, cols=3)
    for c, value in enumerate(["Action", "Lead", "RAG"]):
        table.cell(0, c).text = value
    table.cell(1, 0).paragraphs[0].add_run("y" * 20_000)
    table.cell(1, 0).add_paragraph("z" * 20_000)  # two paragraphs of one cell, over the limit together
    d.save(str(tmp_path / "plan.docx"))
    with pytest.raises(TooLarge, match=r"a table cell or paragraph holds more than 32,767 characters"):
        read_plan(tmp_path / "plan.docx")


def _inflate(src: Path, dest: Path, member: str, size: int) -> Path:
    """A copy of ``src`` whose ``member`` is replaced by ``size`` bytes of XML that compress to almost nothing."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != member:
                zout.writestr(info, zin.read(info.filename))
        with zout.open(member, "w", force_zip64=True) as out:
            out.write(b'<?xml version="1.0"?><w:document xmlns:w="urn:x"><w:body>')
            block = b"<w:p/>" * 10_000
            for _ in range(size // len(block)):
                out.write(block)
            out.write(b"</w:body></w:document>")
    return dest


def test_a_zip_bomb_is_refused_from_its_declared_sizes(tmp_path):
    bomb = _inflate(PLAN_2019, tmp_path / "bomb.docx", "word/document.xml", 12 * MB)
    assert bomb.stat().st_size < MB
    with pytest.raises(
        TooLarge, match=r"bomb.docx: its content expands to more than 8.0 MB \(word/document.xml alone"
    ):
        read_plan(bomb, limits=Limits(max_bytes=MB))


def test_a_zip_of_thousands_of_parts_is_refused(tmp_path):
    path = tmp_path / "parts.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        for i in range(30):
            z.writestr(f"xl/part{i}.xml", "<x/>")
    with pytest.raises(TooLarge, match=r"parts.xlsx: the Excel workbook holds 30 parts"):
        read_plan(path, limits=Limits(max_zip_entries=20))


def test_the_cli_refuses_with_one_line_and_exit_2(database, tmp_path):
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["--database-url", database.url, "import", str(PLAN_2019)],
        env={"PROGRESSBOT_IMPORT_MAX_MB": "0.01"},
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "progressbot: error: stockton-2019-ilacs-action-plan.docx: the file is 40.3 KB; the import limit is "
        "10.2 KB (PROGRESSBOT_IMPORT_MAX_MB)\n"
    )
    assert result.stdout == ""
    shown = runner.invoke(main, ["--database-url", database.url, "plan", "show"])
    assert "no plan has been imported yet" in shown.stderr


def test_the_size_limit_setting_is_checked():
    from progressbot.config import ConfigError, Settings

    assert Settings.from_env({"PROGRESSBOT_IMPORT_MAX_MB": "5"}).import_max_mb == 5.0
    for bad, message in (("lots", "must be a number"), ("0", "must be above 0")):
        with pytest.raises(ConfigError, match=f"PROGRESSBOT_IMPORT_MAX_MB {message}"):
            Settings.from_env({"PROGRESSBOT_IMPORT_MAX_MB": bad})


def _with_doctype(source: Path, target: Path, part: str, doctype: str, reference: str) -> Path:
    """``source`` with a DOCTYPE before ``part``'s root and ``reference`` inside its first text."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == part:
                xml = data.decode("utf-8")
                head = xml.index("?>") + 2 if xml.startswith("<?xml") else 0
                first_text = xml.index("</w:t>") if "</w:t>" in xml else xml.index("</t>")
                xml = xml[:head] + doctype + xml[head:first_text] + reference + xml[first_text:]
                data = xml.encode("utf-8")
            out.writestr(item, data)
    return target


LAUGHS = "".join(
    f'<!ENTITY l{n} "{("&l" + str(n - 1) + ";") * 10}">' if n else '<!ENTITY l0 "lol">' for n in range(10)
)


@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_external_entities_and_entity_expansion_are_never_resolved(tmp_path, kind):
    """XXE (a local file read into the plan) and "billion laughs" (a 3 KB part that expands to 10^9
    characters) in the document's XML: refused or read as nothing, never expanded."""
    secret = tmp_path / "server-secret.txt"
    secret.write_text("SERVER-SECRET-MARKER")
    if kind == "docx":
        source, part = (
            Path(__file__).parents[1] / "progressbot" / "data" / "sample-plan.docx",
            "word/document.xml",
        )
    else:
        rows = [["Ref", "Action", "Lead", "Timescale"], ["1.1", "Do the thing", "Pat Partner", "March 2027"]]
        source, part = minimal_xlsx(tmp_path / "plain.xlsx", rows, shared=True), "xl/sharedStrings.xml"
    outside = _with_doctype(
        source,
        tmp_path / f"xxe.{kind}",
        part,
        f'<!DOCTYPE x [<!ENTITY ext SYSTEM "{secret.as_uri()}">]>',
        "&ext;",
    )
    laughs = _with_doctype(source, tmp_path / f"laughs.{kind}", part, f"<!DOCTYPE x [{LAUGHS}]>", "&l9;")
    for path in (outside, laughs):
        try:
            plan = read_plan(path)
        except ImportFailed as refused:  # one line, naming the file
            assert path.name in str(refused) and "\n" not in str(refused)
            continue
        text = repr(plan)
        assert "SERVER-SECRET-MARKER" not in text and "lollollol" not in text
