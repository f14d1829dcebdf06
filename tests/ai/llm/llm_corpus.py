"""A seeded corpus of realistic Chinese customer messages with labelled personal data spans."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁"
CRM_GIVEN = "芳伟娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
# Disjoint from the CRM given names, so a name outside the CRM never contains one inside it.
OTHER_GIVEN = "翔宇晨曦浩然子涵梓萱雨桐思远嘉怡"
COMPANY_CORES = ("华信", "远景", "恒达", "博创", "联拓", "启明", "鼎盛", "星河", "瑞丰", "海纳")
COMPANY_TAILS = ("科技有限公司", "贸易有限公司", "信息技术股份有限公司", "实业集团")
REGIONS = ("110101", "310104", "440305", "330106", "510107", "320102", "420106")
ROADS = ("文三路", "中山北路", "人民大道", "解放路", "建国门外大街", "科技园南路", "天府大道")
PLACES = (
    ("浙江省", "杭州市", "西湖区"),
    ("广东省", "深圳市", "南山区"),
    ("", "上海市", "浦东新区"),
    ("", "北京市", "朝阳区"),
    ("四川省", "成都市", "高新区"),
    ("江苏省", "南京市", "鼓楼区"),
)
PRODUCTS = ("企业版", "标准版", "年度服务包", "智能外呼模块", "数据看板")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@dataclass
class Message:
    text: str = ""
    spans: list[tuple[int, int, str]] = field(default_factory=list)

    def add(self, piece: str, category: str | None = None) -> None:
        if category is not None:
            self.spans.append((len(self.text), len(self.text) + len(piece), category))
        self.text += piece

    def values(self, category: str) -> list[str]:
        return [self.text[start:end] for start, end, kind in self.spans if kind == category]


@dataclass
class Corpus:
    crm_people: list[str]
    crm_companies: list[str]
    other_people: list[str]
    messages: list[Message]


def luhn_digit(partial: str) -> str:
    total = 0
    for index, char in enumerate(reversed(partial)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


class _Generator:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def person(self, given: str) -> str:
        length = self.random.choice((1, 2))
        return self.random.choice(SURNAMES) + "".join(self.random.sample(given, length))

    def mobile(self) -> str:
        digits = self.random.choice("3456789")
        number = "1" + digits + "".join(self.random.choices("0123456789", k=9))
        style = self.random.randrange(6)
        if style == 1:
            return f"{number[:3]} {number[3:7]} {number[7:]}"
        if style == 2:
            return f"{number[:3]}-{number[3:7]}-{number[7:]}"
        if style == 3:
            return f"+86 {number[:3]} {number[3:7]} {number[7:]}"
        if style == 4:
            return f"+86-{number}"
        return number

    def landline(self) -> str:
        area = self.random.choice(("010", "021", "0571", "0755", "028"))
        local = self.random.choice("2345678") + "".join(self.random.choices("0123456789", k=7))
        return f"{area}-{local}" if self.random.random() < 0.7 else f"({area}){local}"

    def id_number(self) -> str:
        body = (
            self.random.choice(REGIONS)
            + str(self.random.randint(1960, 2002))
            + f"{self.random.randint(1, 12):02d}"
            + f"{self.random.randint(1, 28):02d}"
            + f"{self.random.randint(0, 999):03d}"
        )
        total = sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True))
        return body + "10X98765432"[total % 11]

    def card(self) -> str:
        length = self.random.choice((16, 19))
        partial = self.random.choice(("6222", "6217", "6228", "6259", "4367"))
        partial += "".join(self.random.choices("0123456789", k=length - 5))
        number = partial + luhn_digit(partial)
        if self.random.random() < 0.5:
            return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
        return number

    def email(self) -> str:
        user = self.random.choice(("wangfang", "li.wei", "zhang_min", "chenjing", "service", "hr"))
        user += str(self.random.randint(1, 999))
        domain = self.random.choice(("qq.com", "163.com", "example.com.cn", "company.cn"))
        return f"{user}@{domain}"

    def address(self) -> str:
        province, city, district = self.random.choice(PLACES)
        road = self.random.choice(ROADS)
        room = f"{self.random.randint(1, 30)}栋{self.random.randint(101, 2505)}室"
        return f"{province}{city}{district}{road}{self.random.randint(1, 999)}号{room}"

    def order(self) -> str:
        kind = self.random.randrange(4)
        if kind == 0:
            return f"DD2024{self.random.randint(10**7, 10**8 - 1)}"
        if kind == 1:
            return f"2024{self.random.randint(10**7, 10**8 - 1)}"
        if kind == 2:
            return f"SF{self.random.randint(10**12, 10**13 - 1)}"
        month, day = self.random.randint(1, 9), self.random.randint(10, 28)
        return f"T20240{month}{day}-{self.random.randint(1, 999):04d}"

    def amount(self) -> str:
        value = self.random.randint(100, 500_000)
        return self.random.choice((f"¥{value:,}.00", f"{value}元", f"人民币{value}元"))


def build_corpus(seed: int = 20260315, size: int = 200) -> Corpus:
    generator = _Generator(seed)
    rng = generator.random
    crm_people = sorted({generator.person(CRM_GIVEN) for _ in range(80)})[:60]
    other_people = sorted({generator.person(OTHER_GIVEN) for _ in range(60)} - set(crm_people))
    other_people = [name for name in other_people if not any(crm in name for crm in crm_people)]
    crm_companies = sorted(
        {rng.choice(COMPANY_CORES) + rng.choice(COMPANY_TAILS) for _ in range(12)}
    )

    def name(message: Message) -> None:
        if rng.random() < 0.6:
            message.add(rng.choice(crm_people), "person")
        else:
            message.add(rng.choice(other_people))

    messages: list[Message] = []
    for index in range(size):
        message = Message()
        template = index % 8
        if template == 0:
            message.add("您好，我是")
            name(message)
            message.add("，手机")
            message.add(generator.mobile(), "phone")
            message.add(f"，想咨询一下{rng.choice(PRODUCTS)}的报价，预算大概{generator.amount()}。")
        elif template == 1:
            name(message)
            message.add("的身份证号是")
            message.add(generator.id_number(), "id_number")
            message.add("，开票抬头写")
            message.add(rng.choice(crm_companies), "company")
            message.add("，麻烦核对一下。")
        elif template == 2:
            message.add("退款请打到我的银行卡")
            message.add(generator.card(), "bank_card")
            message.add("，开户人")
            name(message)
            message.add(f"。订单号{generator.order()}，金额{generator.amount()}。")
        elif template == 3:
            message.add("我的邮箱是")
            message.add(generator.email(), "email")
            message.add("，合同发这里就行。座机")
            message.add(generator.landline(), "phone")
            message.add("，工作日都在。")
        elif template == 4:
            message.add("收货地址：")
            message.add(generator.address(), "address")
            message.add("，收件人")
            name(message)
            message.add("，电话")
            message.add(generator.mobile(), "phone")
            message.add("。")
        elif template == 5:
            message.add("上周和")
            name(message)
            message.add("聊过，")
            message.add(rng.choice(crm_companies), "company")
            message.add(f"那边需要{rng.randint(2, 50)}套，订单{generator.order()}，请尽快报价。")
        elif template == 6:
            message.add(f"工单{generator.order()}还没处理，已经等了{rng.randint(2, 9)}天，")
            message.add("我的号码")
            message.add(generator.mobile(), "phone")
            message.add("，或者发邮件到")
            message.add(generator.email(), "email")
            message.add("。")
        else:
            message.add(f"2024-0{rng.randint(1, 9)}-{rng.randint(10, 28)} 下单的货还没到，快递单号")
            message.add(generator.order())
            message.add("，付款卡号")
            message.add(generator.card(), "bank_card")
            message.add("，身份证")
            message.add(generator.id_number(), "id_number")
            message.add("。")
        messages.append(message)
    return Corpus(crm_people, crm_companies, other_people, messages)
