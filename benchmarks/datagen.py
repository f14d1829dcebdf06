"""Realistic generated Chinese contacts, streamed in batches into a database or a CSV file.

Everything is drawn from a seeded generator, so a run with the same seed and
size produces the same names, numbers and cities. Memory stays flat: rows are
produced and written one batch at a time.
"""

from __future__ import annotations

import csv
import random
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from zhike.core.db import Database
from zhike.core.ids import new_id
from zhike.core.timeutil import utc_now
from zhike.customers.models import Contact

# Frequent surnames with rough weights (per cent of the population) and their pinyin.
SURNAMES = (
    ("王", "wang", 7.1),
    ("李", "li", 7.0),
    ("张", "zhang", 6.8),
    ("刘", "liu", 5.4),
    ("陈", "chen", 4.5),
    ("杨", "yang", 3.1),
    ("黄", "huang", 2.2),
    ("赵", "zhao", 2.0),
    ("吴", "wu", 1.9),
    ("周", "zhou", 1.8),
    ("徐", "xu", 1.5),
    ("孙", "sun", 1.4),
    ("马", "ma", 1.3),
    ("朱", "zhu", 1.2),
    ("胡", "hu", 1.1),
    ("郭", "guo", 1.1),
    ("何", "he", 1.0),
    ("高", "gao", 1.0),
    ("林", "lin", 1.0),
    ("罗", "luo", 0.9),
    ("郑", "zheng", 0.9),
    ("梁", "liang", 0.8),
    ("谢", "xie", 0.7),
    ("宋", "song", 0.6),
    ("唐", "tang", 0.6),
    ("许", "xu", 0.6),
    ("韩", "han", 0.5),
    ("冯", "feng", 0.5),
    ("邓", "deng", 0.5),
    ("曹", "cao", 0.5),
    ("欧阳", "ouyang", 0.1),
    ("司马", "sima", 0.05),
)
GIVEN_CHARACTERS = (
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀", "xiu"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("桂", "gui"),
    ("英", "ying"),
    ("华", "hua"),
    ("玉", "yu"),
    ("建", "jian"),
    ("国", "guo"),
    ("文", "wen"),
    ("辉", "hui"),
    ("鹏", "peng"),
    ("晓", "xiao"),
    ("婷", "ting"),
    ("宇", "yu"),
    ("浩", "hao"),
    ("欣", "xin"),
    ("怡", "yi"),
    ("子", "zi"),
    ("涵", "han"),
    ("梓", "zi"),
    ("轩", "xuan"),
    ("思", "si"),
    ("雨", "yu"),
)
# (province, city, weight): large business cities, weighted roughly by economic size.
CITIES = (
    ("上海", "上海", 9),
    ("北京", "北京", 9),
    ("广东", "深圳", 8),
    ("广东", "广州", 7),
    ("浙江", "杭州", 6),
    ("四川", "成都", 5),
    ("江苏", "南京", 4),
    ("江苏", "苏州", 4),
    ("湖北", "武汉", 4),
    ("陕西", "西安", 3),
    ("重庆", "重庆", 3),
    ("天津", "天津", 3),
    ("湖南", "长沙", 3),
    ("山东", "青岛", 2),
    ("山东", "济南", 2),
    ("浙江", "宁波", 2),
    ("福建", "厦门", 2),
    ("福建", "福州", 2),
    ("河南", "郑州", 2),
    ("安徽", "合肥", 2),
    ("辽宁", "沈阳", 1),
    ("辽宁", "大连", 1),
    ("云南", "昆明", 1),
    ("广西", "南宁", 1),
    ("江西", "南昌", 1),
    ("河北", "石家庄", 1),
    ("黑龙江", "哈尔滨", 1),
    ("吉林", "长春", 1),
    ("山西", "太原", 1),
    ("贵州", "贵阳", 1),
    ("广东", "东莞", 2),
    ("广东", "佛山", 2),
)
# Three-digit prefixes that the numbering plan assigns to mobile networks (China Mobile,
# Unicom, Telecom); the smoke test checks every generated number with the standardiser.
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "199",
)
EMAIL_DOMAINS = ("qq.com", "163.com", "126.com", "sina.com", "foxmail.com", "aliyun.com")
TITLES = (
    "总经理",
    "销售总监",
    "采购经理",
    "财务主管",
    "技术总监",
    "市场专员",
    "行政主管",
    "工程师",
)
DEPARTMENTS = ("销售部", "采购部", "财务部", "技术部", "市场部", "行政部", "运营部")
COMPANY_WORDS = ("云栖", "华信", "天成", "恒通", "博远", "中科", "瑞达", "鼎盛", "星河", "新元")
INDUSTRY_WORDS = ("科技", "贸易", "实业", "信息技术", "电子", "医药", "物流", "建设")
SEARCH_NAME = "张伟"
FILTER_CITY = "杭州"
CSV_COLUMNS = ("external_id", "name", "mobile", "email", "city", "company")
DAYS_OF_HISTORY = 730


class ContactGenerator:
    """Deterministic stream of contact values; ``index`` makes external ids unique."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self._surnames = [entry[:2] for entry in SURNAMES]
        self._surname_weights = [entry[2] for entry in SURNAMES]
        self._cities = [entry[:2] for entry in CITIES]
        self._city_weights = [entry[2] for entry in CITIES]

    def person(self) -> tuple[str, str]:
        """Return a name and a pinyin handle for the e-mail address."""
        surname, surname_pinyin = self.random.choices(self._surnames, self._surname_weights)[0]
        given_name = self.random.sample(GIVEN_CHARACTERS, k=self.random.choice((1, 2, 2)))
        name = surname + "".join(character for character, _ in given_name)
        handle = "".join(pinyin for _, pinyin in given_name) + "." + surname_pinyin
        return name, handle

    def mobile_digits(self) -> str:
        return self.random.choice(MOBILE_PREFIXES) + f"{self.random.randrange(100_000_000):08d}"

    def email(self, handle: str) -> str:
        return f"{handle}{self.random.randrange(1, 10_000)}@{self.random.choice(EMAIL_DOMAINS)}"

    def city(self) -> tuple[str, str]:
        province, city = self.random.choices(self._cities, self._city_weights)[0]
        return province, city

    def company(self, city: str) -> str:
        words = self.random.choice(COMPANY_WORDS) + self.random.choice(INDUSTRY_WORDS)
        return f"{city}{words}有限公司"

    def external_id(self, index: int) -> str:
        return f"C{index:09d}"


def contact_rows(
    generator: ContactGenerator,
    tenant_id: uuid.UUID,
    owner_id: uuid.UUID,
    start: int,
    count: int,
    total: int,
) -> list[dict[str, Any]]:
    """Rows for the contacts table; created_at grows with the index, as in a real history."""
    oldest = utc_now() - timedelta(days=DAYS_OF_HISTORY)
    step = timedelta(days=DAYS_OF_HISTORY) / max(total, 1)
    rows = []
    for index in range(start, start + count):
        name, handle = generator.person()
        province, city = generator.city()
        created = oldest + step * index + timedelta(seconds=generator.random.random())
        rows.append(
            {
                "id": new_id(),
                "tenant_id": tenant_id,
                "owner_id": owner_id,
                "created_at": created,
                "updated_at": created,
                "version": 1,
                "deleted_at": None,
                "custom": {},
                "external_id": generator.external_id(index),
                "source": "benchmark",
                "name": name,
                "account_id": None,
                "title": generator.random.choice(TITLES),
                "department": generator.random.choice(DEPARTMENTS),
                "gender": generator.random.choice(("男", "女")),
                "birth_date": None,
                "mobile": "+86" + generator.mobile_digits(),
                "phone": None,
                "email": generator.email(handle),
                "id_number": None,
                "country": "中国",
                "province": province,
                "city": city,
                "address": None,
                "do_not_contact": False,
                "description": None,
            }
        )
    return rows


def fill_contacts(
    database: Database,
    tenant_id: uuid.UUID,
    owner_id: uuid.UUID,
    total: int,
    seed: int,
    batch_size: int = 5_000,
    sample_size: int = 1_000,
) -> list[uuid.UUID]:
    """Insert ``total`` contacts and return an evenly spread sample of their ids.

    SQLite gets SQLAlchemy Core executemany inserts, PostgreSQL gets COPY; both
    commit per batch so neither side holds more than one batch in memory.
    """
    generator = ContactGenerator(seed)
    every = max(1, total // sample_size)
    sample: list[uuid.UUID] = []
    copy_into_postgres = database.engine.dialect.name == "postgresql"
    for start in range(0, total, batch_size):
        rows = contact_rows(
            generator, tenant_id, owner_id, start, min(batch_size, total - start), total
        )
        sample.extend(
            row["id"] for position, row in enumerate(rows, start) if position % every == 0
        )
        if copy_into_postgres:
            _copy_batch(database, rows)
        else:
            with database.engine.begin() as connection:
                connection.execute(insert(Contact), rows)
    with database.engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return sample[:sample_size]


def _copy_batch(database: Database, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    statement = f"COPY contacts ({', '.join(columns)}) FROM STDIN"
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([("{}" if name == "custom" else row[name]) for name in columns])
        raw.commit()
    finally:
        raw.close()


def csv_records(seed: int, total: int) -> Iterator[list[str]]:
    """CSV rows in the shapes people type: spaces, dashes or +86 in mobiles, mixed-case e-mail."""
    generator = ContactGenerator(seed)
    for index in range(total):
        name, handle = generator.person()
        _, city = generator.city()
        digits = generator.mobile_digits()
        shape = index % 4
        if shape == 1:
            mobile = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        elif shape == 2:
            mobile = f"+86 {digits}"
        elif shape == 3:
            mobile = f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
        else:
            mobile = digits
        email = generator.email(handle)
        if index % 5 == 0:
            email = email.capitalize()
        yield [generator.external_id(index), name, mobile, email, city, generator.company(city)]


def write_contacts_csv(path: Path, total: int, seed: int) -> int:
    """Write ``total`` contacts as UTF-8 CSV with a header and return the file size in bytes."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(csv_records(seed, total))
    return path.stat().st_size
