"""Helpers shared by the import and export tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from zhike.core.db import Database


def count(database: Database, model: Any, tenant_id: Any, *conditions: Any) -> int:
    with database.session() as session:
        statement = select(func.count()).select_from(model).where(model.tenant_id == tenant_id)
        for condition in conditions:
            statement = statement.where(condition)
        return int(session.scalar(statement) or 0)


def write_profile(path: Any, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


# A small contacts profile with every contact-data rule the record service checks.
CONTACT_PROFILE = """
name: test-contacts
source: test
steps:
  - name: contacts
    target: contacts
    file: contacts.csv
    fields:
      external_id: external_id
      name: {column: name, required: true}
      mobile: mobile
      id_number: id_number
      birth_date: {column: birth_date, type: date}
      do_not_contact: {column: do_not_contact, type: bool}
"""
CONTACT_HEADER = "external_id,name,mobile,id_number,birth_date,do_not_contact\n"
# 11010519491231002X is the sample resident ID number of GB 11643-1999.
VALID_ROWS = (
    "c1,张三,13812345678,11010519491231002X,2024-03-05,是\n"
    "c2,李四,+86 139 1234 5678,,2024/3/5,否\n"
    "c3,王五,0086-150-1234-5678,,2024年3月5日,Yes\n"
)
