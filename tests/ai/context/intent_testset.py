"""A labelled intent test set, written apart from the training corpus.

Templates and fill-in words here are different from those in
``zhike/ai/context/intent_corpus.py``: other companies, people, measures and
sentence shapes, colloquial Chinese, and English with contractions, so the
measured accuracy shows how the classifier generalises.
"""

from __future__ import annotations

import random

FILL = {
    "co": (
        "比亚迪",
        "海尔",
        "蔚来",
        "顺丰",
        "格力",
        "Globex",
        "Initech",
        "Umbrella Corp",
        "字节跳动",
        "宁德时代",
    ),
    "who": ("周杰", "吴敏", "郑爽", "孙浩", "Kevin", "Maria", "Tom Chen", "Priya"),
    "thing_zh": (
        "续费",
        "回款",
        "商机",
        "线索",
        "投诉",
        "退货",
        "工单",
        "试用客户",
        "大客户",
        "报价单",
    ),
    "thing_en": (
        "renewals",
        "payments",
        "pipeline",
        "inbound leads",
        "complaints",
        "returns",
        "support cases",
        "trials",
        "key accounts",
        "quotes",
    ),
    "when_zh": (
        "这周",
        "上个季度",
        "今年上半年",
        "最近两周",
        "三月份",
        "去年同期",
        "本财年",
        "前天",
    ),
    "when_en": (
        "this week",
        "last quarter",
        "in H1",
        "over the past two weeks",
        "in March",
        "year over year",
        "this fiscal year",
        "since Monday",
    ),
    "kpi_zh": ("签约额", "毛利", "成单率", "回款率", "客诉率", "平均成交周期", "人效", "NPS"),
    "kpi_en": (
        "bookings",
        "gross margin",
        "close rate",
        "collection rate",
        "complaint rate",
        "sales cycle length",
        "ARR",
        "NPS",
    ),
}

TEMPLATES: dict[str, tuple[str, ...]] = {
    "query_data": (
        "{when_zh}{kpi_zh}多少了",
        "帮我拉一下{when_zh}的{thing_zh}明细",
        "{who}手上现在有几个{thing_zh}",
        "{co}一共签了多少钱",
        "{when_zh}哪个团队{kpi_zh}最高",
        "统计下各城市的{thing_zh}数",
        "{when_zh}新进来的{thing_zh}有多少条",
        "按月看一下{kpi_zh}",
        "what's our {kpi_en} {when_en}",
        "pull up the {thing_en} for {co}",
        "how many {thing_en} does {who} own right now",
        "show {kpi_en} split by region {when_en}",
        "list the five largest {thing_en} {when_en}",
        "what did {co} spend with us {when_en}",
        "give me a count of {thing_en} by owner",
        "{kpi_en} per rep {when_en}?",
    ),
    "ask_advice": (
        "{co}这单卡住了，下一步咋整",
        "想提升{kpi_zh}，有啥好办法",
        "{who}跟{co}谈崩了，怎么挽回比较好",
        "我该先跟哪些{thing_zh}",
        "客户说要再考虑考虑，我该怎么回",
        "给点建议：{co}值不值得上门拜访",
        "怎么跟{co}的采购谈折扣",
        "{when_zh}目标差得多，该怎么冲一把",
        "any advice on closing {co} before quarter end?",
        "how would you approach {who} about an upsell",
        "what's a good way to lift our {kpi_en}",
        "should we push {co} for a multi-year deal?",
        "which {thing_en} should I focus on first",
        "tips for handling a customer who keeps delaying",
        "what would you recommend to win {co} back",
        "how do I get more out of our {thing_en}",
    ),
    "investigate_anomaly": (
        "{when_zh}{kpi_zh}怎么掉这么厉害",
        "{co}的{thing_zh}突然暴增是什么情况",
        "为啥{who}的{kpi_zh}比平时低一大截",
        "{thing_zh}数量不对劲，帮我查查原因",
        "{when_zh}{kpi_zh}异常波动，分析一下",
        "{kpi_zh}跌了一半，到底出了什么问题",
        "怎么{when_zh}的{thing_zh}一下子少了这么多",
        "查下{co}{thing_zh}激增的根因",
        "why did {kpi_en} tank {when_en}",
        "what's behind the jump in {thing_en} from {co}",
        "{kpi_en} dropped off a cliff {when_en} - why?",
        "figure out why {who}'s {kpi_en} is way down",
        "something's wrong with {thing_en} {when_en}, dig into it",
        "explain the weird spike in {kpi_en}",
        "why are {thing_en} so much lower than last month",
        "root-cause the drop in {kpi_en} {when_en}",
    ),
    "take_action": (
        "给{co}的联系人群发一下新品介绍",
        "帮我约{who}下周三下午开会",
        "把{co}这个商机转给{who}",
        "新建一条{thing_zh}，客户是{co}",
        "把这个工单标记为已解决",
        "提醒我明早九点给{co}回电话",
        "给{who}发个微信说合同已寄出",
        "删掉{co}下面重复的联系人",
        "email {co} the updated proposal",
        "book a call with {who} for thursday",
        "reassign all of {who}'s {thing_en} to Maria",
        "create a new opportunity for {co}",
        "mark this case as resolved",
        "set a reminder to chase {co} tomorrow",
        "text {who} that the contract is signed",
        "delete the duplicate records under {co}",
    ),
    "other": (
        "在吗",
        "哈喽",
        "辛苦了，谢谢你",
        "你叫什么名字",
        "明天会下雨吗",
        "说个段子听听",
        "这个助手能干嘛",
        "晚安",
        "hi there",
        "thank you so much",
        "what's your name",
        "is it going to rain tomorrow",
        "sing me a song",
        "what are you able to help with",
        "good night",
        "lol ok",
    ),
}


# Openers and endings people type around a request, for both languages.
OPENERS_ZH = ("", "", "", "那个，", "问一下，", "小助手，", "急：")
OPENERS_EN = ("", "", "", "hey assistant, ", "quick one - ", "um, ", "ok so ")
ENDINGS_ZH = ("", "", "～", "呀", "，谢谢", "。。")
ENDINGS_EN = ("", "", " thx", " pls", "??", " :)")


def build_test_set(seed: int = 99, fills: int = 5) -> list[tuple[str, str]]:
    """Return (utterance, intent) pairs: each template filled ``fills`` times, no duplicates."""
    rng = random.Random(seed)
    found: dict[str, str] = {}
    for intent, templates in TEMPLATES.items():
        for template in templates:
            chinese = any("\u4e00" <= char <= "\u9fff" for char in template)
            for _ in range(fills):
                text = template.format(**{name: rng.choice(words) for name, words in FILL.items()})
                opener = rng.choice(OPENERS_ZH if chinese else OPENERS_EN)
                ending = rng.choice(ENDINGS_ZH if chinese else ENDINGS_EN)
                found.setdefault(opener + text + ending, intent)
    return sorted(found.items())
