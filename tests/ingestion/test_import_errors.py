"""Bad input: each problem gives a clear error and, in all-or-nothing mode, stores nothing."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest
from ingestion_helpers import CONTACT_HEADER, CONTACT_PROFILE, VALID_ROWS, count, write_profile
from openpyxl import Workbook
from sqlalchemy import select
from testkit import TenantInfo

from zhike.core.db import Database
from zhike.core.errors import InvalidInput
from zhike.customers.models import Contact
from zhike.ingestion.importer import run_import
from zhike.ingestion.models import ImportRun


def _contacts(tmp_path: Path, body: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "contacts.csv"
    path.write_bytes((CONTACT_HEADER + body).encode(encoding))
    return path


def _run(
    database: Database,
    tenant: TenantInfo,
    tmp_path: Path,
    source: Path,
    mode: str = "all-or-nothing",
):  # type: ignore[no-untyped-def]
    profile = write_profile(tmp_path / "profile.yaml", CONTACT_PROFILE)
    return run_import(database, tenant.slug, profile, source, mode=mode)


def _rejects(path: str | None) -> list[list[str]]:
    assert path is not None
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))[1:]


def test_valid_file_imports_every_rule(
    database: Database, tenant: TenantInfo, tmp_path: Path
) -> None:
    result = _run(database, tenant, tmp_path, _contacts(tmp_path, VALID_ROWS))

    assert (result.status, result.rows_created, result.rows_rejected) == ("succeeded", 3, 0)
    with database.session() as session:
        contacts = {
            contact.external_id: contact
            for contact in session.scalars(
                select(Contact).where(Contact.tenant_id == tenant.tenant.id)
            )
        }
    assert [contacts[key].mobile for key in ("c1", "c2", "c3")] == [
        "+8613812345678",
        "+8613912345678",
        "+8615012345678",
    ]
    assert {contact.birth_date.isoformat() for contact in contacts.values()} == {"2024-03-05"}
    assert [contacts[key].do_not_contact for key in ("c1", "c2", "c3")] == [True, False, True]
    with database.session() as session:
        run = session.get(ImportRun, result.run_id)
        assert run is not None
        assert (run.status, run.rows_read, run.rows_created) == ("succeeded", 3, 3)


@pytest.mark.parametrize(
    ("row", "column", "value", "message"),
    [
        ("c9,赵六,12345,,,\n", "mobile", "12345", "Phone number 12345 in field Mobile is invalid"),
        (
            "c9,赵六,,110105194912310021,,\n",
            "id_number",
            "110105194912310021",
            "Resident ID number 110105194912310021",
        ),
        (
            "c9,赵六,,,2024-13-45,\n",
            "birth_date",
            "2024-13-45",
            "Value 2024-13-45 of column birth_date is not a date",
        ),
        ("c1,重复,,,,\n", "external_id", "c1", "External id c1 already appeared in an earlier row"),
    ],
)
def test_invalid_row_rolls_back_everything(
    database: Database,
    tenant: TenantInfo,
    tmp_path: Path,
    row: str,
    column: str,
    value: str,
    message: str,
) -> None:
    tenant.tenant.locale = "en"
    with database.session() as session:
        session.merge(tenant.tenant)
    before = count(database, Contact, tenant.tenant.id)
    result = _run(database, tenant, tmp_path, _contacts(tmp_path, VALID_ROWS + row))

    assert result.status == "rolled_back"
    assert result.rows_rejected == 1
    assert count(database, Contact, tenant.tenant.id) == before == 0
    (line,) = _rejects(result.rejects_file)
    assert line[:5] == ["contacts", "contacts.csv", "5", column, value]
    assert message in line[5]


def test_skip_invalid_keeps_valid_rows(
    database: Database, tenant: TenantInfo, tmp_path: Path
) -> None:
    body = VALID_ROWS + "c9,赵六,12345,,,\nc10,钱七,13712345678,,,\n"
    result = _run(database, tenant, tmp_path, _contacts(tmp_path, body), mode="skip-invalid")

    assert (result.status, result.rows_created, result.rows_rejected) == ("succeeded", 4, 1)
    assert count(database, Contact, tenant.tenant.id) == 4
    assert [line[2:4] for line in _rejects(result.rejects_file)] == [["5", "mobile"]]


def test_reimport_upserts(database: Database, tenant: TenantInfo, tmp_path: Path) -> None:
    _run(database, tenant, tmp_path, _contacts(tmp_path, VALID_ROWS))
    changed = VALID_ROWS.replace("李四,+86 139 1234 5678", "李四,13698765432")
    result = _run(database, tenant, tmp_path, _contacts(tmp_path, changed))

    assert (result.status, result.rows_created, result.rows_updated) == ("succeeded", 0, 1)
    assert result.rows_unchanged == 2
    assert count(database, Contact, tenant.tenant.id) == 3
    with database.session() as session:
        versions = dict(
            session.execute(
                select(Contact.external_id, Contact.version).where(
                    Contact.tenant_id == tenant.tenant.id
                )
            ).all()
        )
        contact = session.scalar(
            select(Contact).where(
                Contact.tenant_id == tenant.tenant.id, Contact.external_id == "c2"
            )
        )
    assert contact is not None
    assert (contact.mobile, contact.version) == ("+8613698765432", 2)
    assert versions == {"c1": 1, "c2": 2, "c3": 1}

    again = _run(database, tenant, tmp_path, _contacts(tmp_path, changed))
    assert (again.rows_created, again.rows_updated, again.rows_unchanged) == (0, 0, 3)


@pytest.mark.parametrize(
    ("content", "name", "code", "fragment"),
    [
        (
            b"\x00\x01\x02binary\xff" * 10,
            "contacts.csv",
            "import_binary_file",
            "is not a text file",
        ),
        (
            (CONTACT_HEADER + 'c1,"unterminated\n').encode(),
            "contacts.csv",
            "import_truncated_csv",
            "ends inside a quoted cell that starts at row 2",
        ),
        (
            (CONTACT_HEADER + VALID_ROWS + "c4,赵六,1381234").encode(),
            "contacts.csv",
            "import_truncated_row",
            "its last row 5 has 3 of 6 cells and no line break after it",
        ),
        (
            b"external_id,nom\nc1,x\n",
            "contacts.csv",
            "import_header_mismatch",
            "missing columns name, mobile, id_number, birth_date, do_not_contact; "
            "columns found: external_id, nom",
        ),
        (
            (
                CONTACT_HEADER + "".join(f"f{index},name{index},,,,\n" for index in range(6000))
            ).encode()
            + "c9,陈先生,,,,\n".encode("gbk"),
            "contacts.csv",
            "import_decode_error",
            "not valid utf-8 in row 6002,",
        ),
    ],
)
def test_unreadable_file_fails_and_stores_nothing(
    database: Database,
    tenant: TenantInfo,
    tmp_path: Path,
    content: bytes,
    name: str,
    code: str,
    fragment: str,
) -> None:
    tenant.tenant.locale = "en"
    with database.session() as session:
        session.merge(tenant.tenant)
    path = tmp_path / name
    path.write_bytes(content)
    result = _run(database, tenant, tmp_path, path)

    assert (result.status, result.error_code) == ("failed", code)
    assert result.error is not None
    assert fragment in result.error
    assert count(database, Contact, tenant.tenant.id) == 0


def test_truncated_xlsx(database: Database, tenant: TenantInfo, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(CONTACT_HEADER.strip().split(","))
    for index in range(200):
        sheet.append([f"c{index}", f"客户{index}", "13812345678", None, None, None])
    full = tmp_path / "full.xlsx"
    workbook.save(full)
    data = full.read_bytes()
    truncated = tmp_path / "contacts.xlsx"
    truncated.write_bytes(data[: len(data) // 2])
    assert not zipfile.is_zipfile(truncated)

    result = _run(database, tenant, tmp_path, truncated)

    assert (result.status, result.error_code) == ("failed", "import_truncated_xlsx")
    assert count(database, Contact, tenant.tenant.id) == 0
    complete = _run(database, tenant, tmp_path, full)
    assert (complete.status, complete.rows_created) == ("succeeded", 200)


def test_xlsx_formulas_without_values(
    database: Database, tenant: TenantInfo, tmp_path: Path
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(CONTACT_HEADER.strip().split(","))
    sheet.append(["c1", "客户1", "13812345678", None, None, None])
    # openpyxl stores a formula without a computed value, as files written by scripts often are.
    sheet.append(["c2", '=A3&"号客户"', "13812345679", None, None, None])
    sheet.append(["c3", "客户3", "=C2", None, None, None])
    path = tmp_path / "contacts.xlsx"
    workbook.save(path)

    result = _run(database, tenant, tmp_path, path)

    assert (result.status, result.error_code) == ("failed", "import_xlsx_formulas_not_computed")
    assert result.error is not None
    assert "B3, C4" in result.error
    assert count(database, Contact, tenant.tenant.id) == 0


def test_ten_megabyte_cell(database: Database, tenant: TenantInfo, tmp_path: Path) -> None:
    huge = "长" * (10 * 1024 * 1024 // 3 + 1)
    result = _run(database, tenant, tmp_path, _contacts(tmp_path, VALID_ROWS + f"c9,{huge},,,,\n"))

    assert result.status == "rolled_back"
    (line,) = _rejects(result.rejects_file)
    assert line[2:4] == ["5", "name"]
    # The message gives the size in KB: 10,485,762 bytes are 10240 KB.
    assert "10240 KB" in line[5]
    assert count(database, Contact, tenant.tenant.id) == 0


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_chinese_encodings(
    database: Database, tenant: TenantInfo, tmp_path: Path, encoding: str
) -> None:
    result = _run(database, tenant, tmp_path, _contacts(tmp_path, VALID_ROWS, encoding))

    assert (result.status, result.rows_created) == ("succeeded", 3)
    with database.session() as session:
        names = set(
            session.scalars(select(Contact.name).where(Contact.tenant_id == tenant.tenant.id))
        )
    assert names == {"张三", "李四", "王五"}


def test_semicolon_and_tab_delimiters(
    database: Database, tenant: TenantInfo, tmp_path: Path
) -> None:
    for delimiter, suffix in ((";", "csv"), ("\t", "tsv")):
        path = tmp_path / f"contacts.{suffix}"
        path.write_text((CONTACT_HEADER + VALID_ROWS).replace(",", delimiter), encoding="utf-8")
        result = _run(database, tenant, tmp_path, path)
        assert (result.status, result.rows_read) == ("succeeded", 3)
    assert count(database, Contact, tenant.tenant.id) == 3


def test_bad_profile_names_the_key(tmp_path: Path) -> None:
    from zhike.ingestion.profile import load_profile

    path = write_profile(
        tmp_path / "bad.yaml", CONTACT_PROFILE.replace("required: true", "requird: true")
    )
    with pytest.raises(InvalidInput) as raised:
        load_profile(path)
    assert raised.value.code == "import_profile_invalid"
    assert "steps.0.fields.name.requird" in raised.value.message("en")
    unknown = write_profile(
        tmp_path / "unknown.yaml", CONTACT_PROFILE.replace("mobile: mobile", "mobil: mobile")
    )
    with pytest.raises(InvalidInput) as raised:
        load_profile(unknown)
    assert "steps.0.fields.mobil" in raised.value.message("en")


def test_step_labels_in_each_rejects_file(
    database: Database, tenant: TenantInfo, tmp_path: Path
) -> None:
    labelled = CONTACT_PROFILE.replace(
        "    target: contacts\n",
        "    labels: {zh-CN: 联系人, en: Contacts}\n    target: contacts\n",
    )
    profile = write_profile(tmp_path / "labelled.yaml", labelled)
    source = _contacts(tmp_path, VALID_ROWS + "c9,赵六,12345,,,\n")

    result = run_import(database, tenant.slug, profile, source, mode="skip-invalid")

    assert result.rejects_file is not None
    stored = Path(result.rejects_file)
    english = stored.with_name(f"{stored.stem}.en{stored.suffix}")
    assert [line[0] for line in _rejects(result.rejects_file)] == ["联系人"]
    assert [line[0] for line in _rejects(str(english))] == ["Contacts"]


def test_step_labels_take_only_known_locales(tmp_path: Path) -> None:
    from zhike.ingestion.profile import load_profile

    path = write_profile(
        tmp_path / "labels.yaml",
        CONTACT_PROFILE.replace(
            "    target: contacts\n", "    labels: {fr: Contacts}\n    target: contacts\n"
        ),
    )

    with pytest.raises(InvalidInput) as raised:
        load_profile(path)

    message = raised.value.message("en")
    assert "steps.0.labels" in message
    assert "unknown locale fr; use zh-CN, en" in message


def test_rejects_writer_neutralizes_formulas_in_every_column(tmp_path: Path) -> None:
    from zhike.core.i18n import Localized
    from zhike.ingestion.rejects import RejectsWriter

    writer = RejectsWriter(tmp_path / "run-rejects.csv", "zh-CN")
    step = Localized(lambda locale: "=步骤" if locale == "zh-CN" else "=Step")
    error = {"column": "=name", "value": "=1+1", "messages": {"zh-CN": "无效", "en": "Invalid"}}

    writer.add(step, "=HYPERLINK(x).csv", 2, error)
    writer.close()

    chinese = _rejects(str(tmp_path / "run-rejects.csv"))
    english = _rejects(str(tmp_path / "run-rejects.en.csv"))
    assert chinese == [["'=步骤", "'=HYPERLINK(x).csv", "2", "'=name", "'=1+1", "无效"]]
    assert english == [["'=Step", "'=HYPERLINK(x).csv", "2", "'=name", "'=1+1", "Invalid"]]
