"""A Chinese duplicate set: realistic people, then copies spelled the ways people spell them."""

from __future__ import annotations

import random
from dataclasses import dataclass

SURNAMES = {
    "王": "wang", "李": "li", "张": "zhang", "刘": "liu", "陈": "chen", "杨": "yang",
    "黄": "huang", "赵": "zhao", "吴": "wu", "周": "zhou", "徐": "xu", "孙": "sun",
    "马": "ma", "朱": "zhu", "胡": "hu", "郭": "guo", "何": "he", "林": "lin",
    "罗": "luo", "郑": "zheng", "梁": "liang", "谢": "xie", "宋": "song", "韩": "han",
}  # fmt: skip
GIVEN = {
    "伟": "wei", "芳": "fang", "娜": "na", "敏": "min", "静": "jing", "丽": "li",
    "强": "qiang", "磊": "lei", "军": "jun", "洋": "yang", "勇": "yong", "艳": "yan",
    "杰": "jie", "娟": "juan", "涛": "tao", "明": "ming", "超": "chao", "秀": "xiu",
    "霞": "xia", "平": "ping", "刚": "gang", "华": "hua", "建": "jian", "国": "guo",
    "红": "hong", "辉": "hui", "鹏": "peng", "飞": "fei", "晓": "xiao", "东": "dong",
}  # fmt: skip
CITIES = {
    "北京": "Beijing", "上海": "Shanghai", "杭州": "Hangzhou", "深圳": "Shenzhen",
    "广州": "Guangzhou", "成都": "Chengdu", "南京": "Nanjing", "武汉": "Wuhan",
    "苏州": "Suzhou", "西安": "Xi'an",
}  # fmt: skip
BRANDS = {
    "云帆": "Yunfan", "华信": "Huaxin", "东方": "Dongfang", "远航": "Yuanhang",
    "星辰": "Xingchen", "长城": "Changcheng", "金桥": "Jinqiao", "宏达": "Hongda",
    "天成": "Tiancheng", "鼎盛": "Dingsheng", "联创": "Lianchuang", "博远": "Boyuan",
    "万通": "Wantong", "汇丰": "Huifeng", "启明": "Qiming", "恒远": "Hengyuan",
}  # fmt: skip
INDUSTRIES = {
    "科技": "Technology", "信息技术": "Information Technology", "贸易": "Trading",
    "电子": "Electronics", "医药": "Pharmaceutical", "物流": "Logistics",
    "软件": "Software", "网络": "Network",
}  # fmt: skip
CHINESE_FORMS = (
    "有限公司",
    "有限责任公司",
    "股份有限公司",
    "(集团)有限公司",
    "（集团）股份有限公司",
)
ENGLISH_FORMS = (" Co., Ltd.", " Co.,Ltd", " Company Limited", " CO., LTD.", " Limited")
TRADITIONAL = str.maketrans(
    "张陈刘杨黄赵吴孙马郑谢韩罗伟丽强军杰涛华国红辉鹏飞晓东云华东远长汇万联鼎博宏启恒达桥信网络电软医药贸贸科技",
    "張陳劉楊黃趙吳孫馬鄭謝韓羅偉麗強軍傑濤華國紅輝鵬飛曉東雲華東遠長匯萬聯鼎博宏啟恆達橋信網絡電軟醫藥貿貿科技",
)
MOBILE_PREFIXES = ("138", "139", "135", "186", "133", "177", "150", "188", "199", "131")


@dataclass(frozen=True)
class Person:
    entity: int
    name: str
    mobile: str | None
    email: str | None
    company: str
    city: str


def full_width(text: str) -> str:
    """ASCII letters, digits and punctuation as their full-width forms."""
    return "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in text)


def _originals(
    count: int, rng: random.Random, colleague_share: float = 0.15, company_mail: bool = False
) -> list[tuple[Person, bool, tuple[str, str]]]:
    """Make the distinct people; ``company_mail`` gives colleagues their firm's e-mail domain."""
    people = []
    mobiles: set[str] = set()
    domains: dict[str, str] = {}
    for entity in range(count):
        surname = rng.choice(list(SURNAMES))
        given = "".join(rng.sample(list(GIVEN), rng.choice((1, 2, 2))))
        city = rng.choice(list(CITIES))
        brand, industry = rng.choice(list(BRANDS)), rng.choice(list(INDUSTRIES))
        mobile = ""
        while not mobile or mobile in mobiles:
            mobile = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        mobiles.add(mobile)
        family_pinyin = SURNAMES[surname]
        given_pinyin = "".join(GIVEN[char] for char in given)
        domain = BRANDS[brand].lower() + rng.choice((".com", ".cn", ".com.cn"))
        email = f"{given_pinyin}.{family_pinyin}{rng.randrange(100)}@{domain}"
        # One person in five works for a foreign-facing firm and is known by pinyin.
        latin = rng.random() < 0.2
        if latin:
            name = f"{given_pinyin.title()} {family_pinyin.title()}"
            company = f"{CITIES[city]} {BRANDS[brand]} {INDUSTRIES[industry]}"
        else:
            name = surname + given
            company = city + brand + industry
        # Namesakes and colleagues make the set hard: same name or same firm, other people.
        if people and rng.random() < 0.1:
            name = rng.choice(people)[0].name
        if people and rng.random() < colleague_share:
            colleague = rng.choice(people)[0]
            company, city = colleague.company, colleague.city
            if company_mail:
                email = f"{email.partition('@')[0]}@{domains[company]}"
        domains.setdefault(company, email.partition("@")[2])
        person = Person(entity, name, mobile, email, company, city)
        people.append((person, latin, (given, surname)))
    return people


def _spell_mobile(mobile: str, rng: random.Random) -> str:
    shape = rng.randrange(5)
    if shape == 0:
        return f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}"
    if shape == 1:
        return f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"
    if shape == 2:
        return "0086" + mobile
    if shape == 3:
        return full_width(mobile)
    return f"+86{mobile}"


def _misspell(name: str, latin: bool, rng: random.Random) -> str:
    if latin:
        words = name.split()
        word = rng.randrange(len(words))
        letters = list(words[word])
        position = rng.randrange(1, len(letters))
        letters[position] = rng.choice("aeiouny")
        words[word] = "".join(letters)
        return " ".join(words)
    position = rng.randrange(1, len(name))
    return name[:position] + rng.choice(list(GIVEN)) + name[position + 1 :]


def _variant(original: Person, latin: bool, rng: random.Random) -> Person:
    name, company = original.name, original.company
    mobile: str | None = _spell_mobile(original.mobile or "", rng)
    email: str | None = original.email
    form = rng.choice(ENGLISH_FORMS if latin else CHINESE_FORMS)
    if latin:
        if rng.random() < 0.5:
            name = " ".join(reversed(name.split()))
        if rng.random() < 0.3:
            name = name.upper()
    elif rng.random() < 0.3:
        name, company = name.translate(TRADITIONAL), company.translate(TRADITIONAL)
    if rng.random() < 0.25:
        name = _misspell(name, latin, rng)
    if rng.random() < 0.2:
        company, name = full_width(company), full_width(name)
    if rng.random() < 0.3 and email:
        email = email.upper() if rng.random() < 0.5 else f"  {email}  "
    # Some copies keep neither mobile nor e-mail, and so must be matched on the rest.
    if rng.random() < 0.3:
        mobile = None
    if rng.random() < 0.4:
        email = None
    return Person(original.entity, name, mobile, email, company + form, original.city)


def duplicate_set(
    entities: int = 300,
    seed: int = 20260315,
    colleague_share: float = 0.15,
    company_mail: bool = False,
) -> list[Person]:
    """Originals plus zero to three spelled-differently copies of each, shuffled."""
    rng = random.Random(seed)
    records: list[Person] = []
    for original, latin, _parts in _originals(entities, rng, colleague_share, company_mail):
        form = rng.choice(ENGLISH_FORMS if latin else CHINESE_FORMS)
        records.append(
            Person(
                original.entity,
                original.name,
                original.mobile,
                original.email,
                original.company + form,
                original.city,
            )
        )
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            records.append(_variant(original, latin, rng))
    rng.shuffle(records)
    return records


def true_pairs(records: list[Person]) -> set[frozenset[int]]:
    by_entity: dict[int, list[int]] = {}
    for index, record in enumerate(records):
        by_entity.setdefault(record.entity, []).append(index)
    pairs: set[frozenset[int]] = set()
    for members in by_entity.values():
        pairs.update(frozenset((a, b)) for i, a in enumerate(members) for b in members[i + 1 :])
    return pairs
