"""Word lists the demo generator draws from; every name it builds is made up."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class City:
    name: str
    province: str
    region: str  # the sales region that owns accounts in this city
    area_code: str  # landline prefix without the leading 0
    districts: tuple[tuple[str, str], ...]  # (district, six-digit administrative division code)


REGIONS = ("华东", "华北", "华南", "西南")

CITIES: tuple[City, ...] = (
    City(
        "上海",
        "上海市",
        "华东",
        "21",
        (("浦东新区", "310115"), ("徐汇区", "310104"), ("黄浦区", "310101")),
    ),
    City("杭州", "浙江省", "华东", "571", (("西湖区", "330106"), ("滨江区", "330108"))),
    City("南京", "江苏省", "华东", "25", (("玄武区", "320102"), ("建邺区", "320105"))),
    City("苏州", "江苏省", "华东", "512", (("虎丘区", "320505"), ("吴中区", "320506"))),
    City("宁波", "浙江省", "华东", "574", (("鄞州区", "330212"), ("海曙区", "330203"))),
    City("合肥", "安徽省", "华东", "551", (("蜀山区", "340104"), ("包河区", "340111"))),
    City(
        "北京",
        "北京市",
        "华北",
        "10",
        (("海淀区", "110108"), ("朝阳区", "110105"), ("东城区", "110101")),
    ),
    City("天津", "天津市", "华北", "22", (("滨海新区", "120116"), ("和平区", "120101"))),
    City("济南", "山东省", "华北", "531", (("历下区", "370102"), ("市中区", "370103"))),
    City("青岛", "山东省", "华北", "532", (("崂山区", "370212"), ("市南区", "370202"))),
    City("石家庄", "河北省", "华北", "311", (("长安区", "130102"), ("裕华区", "130108"))),
    City("太原", "山西省", "华北", "351", (("小店区", "140105"), ("迎泽区", "140106"))),
    City("广州", "广东省", "华南", "20", (("天河区", "440106"), ("越秀区", "440104"))),
    City("深圳", "广东省", "华南", "755", (("南山区", "440305"), ("福田区", "440304"))),
    City("佛山", "广东省", "华南", "757", (("禅城区", "440604"), ("南海区", "440605"))),
    City("厦门", "福建省", "华南", "592", (("思明区", "350203"), ("湖里区", "350206"))),
    City("福州", "福建省", "华南", "591", (("鼓楼区", "350102"), ("台江区", "350103"))),
    City("南宁", "广西壮族自治区", "华南", "771", (("青秀区", "450103"), ("西乡塘区", "450107"))),
    City("成都", "四川省", "西南", "28", (("武侯区", "510107"), ("高新区", "510109"))),
    City("重庆", "重庆市", "西南", "23", (("渝中区", "500103"), ("江北区", "500105"))),
    City("昆明", "云南省", "西南", "871", (("五华区", "530102"), ("盘龙区", "530103"))),
    City("贵阳", "贵州省", "西南", "851", (("云岩区", "520103"), ("南明区", "520102"))),
)

# (trade name, its pinyin) — the distinctive part of a company name.
TRADE_NAMES: tuple[tuple[str, str], ...] = (
    ("星辰", "xingchen"),
    ("华信", "huaxin"),
    ("瑞达", "ruida"),
    ("恒通", "hengtong"),
    ("博远", "boyuan"),
    ("天元", "tianyuan"),
    ("鼎盛", "dingsheng"),
    ("汇智", "huizhi"),
    ("云帆", "yunfan"),
    ("启明", "qiming"),
    ("金桥", "jinqiao"),
    ("远航", "yuanhang"),
    ("和光", "heguang"),
    ("安泰", "antai"),
    ("卓越", "zhuoyue"),
    ("新锐", "xinrui"),
    ("蓝海", "lanhai"),
    ("睿思", "ruisi"),
    ("泰和", "taihe"),
    ("嘉禾", "jiahe"),
    ("众诚", "zhongcheng"),
    ("宏图", "hongtu"),
    ("长风", "changfeng"),
    ("明德", "mingde"),
    ("聚力", "juli"),
    ("凌云", "lingyun"),
    ("同创", "tongchuang"),
    ("万象", "wanxiang"),
    ("正元", "zhengyuan"),
    ("立信", "lixin"),
    ("海纳", "haina"),
    ("九州", "jiuzhou"),
)

# (word in the company name, its pinyin, industry recorded on the account)
INDUSTRIES: tuple[tuple[str, str, str], ...] = (
    ("科技", "keji", "信息技术"),
    ("软件", "ruanjian", "软件和信息服务"),
    ("电子", "dianzi", "电子制造"),
    ("机械", "jixie", "装备制造"),
    ("智能装备", "zhineng", "装备制造"),
    ("医疗器械", "yiliao", "医疗健康"),
    ("生物医药", "shengwu", "医疗健康"),
    ("物流", "wuliu", "交通物流"),
    ("贸易", "maoyi", "批发零售"),
    ("新材料", "cailiao", "化工材料"),
    ("食品", "shipin", "食品饮料"),
    ("能源", "nengyuan", "新能源"),
    ("汽车零部件", "qipei", "汽车"),
    ("网络科技", "wangluo", "互联网"),
    ("建设工程", "jianshe", "建筑工程"),
    ("管理咨询", "zixun", "专业服务"),
)

# (legal form, weight)
LEGAL_FORMS: tuple[tuple[str, int], ...] = (
    ("有限公司", 70),
    ("股份有限公司", 20),
    ("集团有限公司", 6),
    ("有限责任公司", 4),
)

# (surname, pinyin); the most common surnames first, so weighting by position is realistic.
SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("林", "lin"),
    ("高", "gao"),
    ("罗", "luo"),
    ("郑", "zheng"),
    ("梁", "liang"),
    ("谢", "xie"),
    ("宋", "song"),
    ("唐", "tang"),
    ("许", "xu"),
    ("韩", "han"),
    ("冯", "feng"),
    ("邓", "deng"),
    ("曹", "cao"),
    ("彭", "peng"),
    ("曾", "zeng"),
    ("肖", "xiao"),
    ("田", "tian"),
    ("董", "dong"),
    ("袁", "yuan"),
    ("潘", "pan"),
    ("蒋", "jiang"),
    ("蔡", "cai"),
    ("杜", "du"),
    ("叶", "ye"),
    ("程", "cheng"),
    ("魏", "wei"),
    ("苏", "su"),
    ("丁", "ding"),
    ("任", "ren"),
    ("沈", "shen"),
    ("欧阳", "ouyang"),
)

MALE_GIVEN: tuple[tuple[str, str], ...] = (
    ("伟", "wei"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("勇", "yong"),
    ("杰", "jie"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("刚", "gang"),
    ("平", "ping"),
    ("辉", "hui"),
    ("鹏", "peng"),
    ("华", "hua"),
    ("飞", "fei"),
    ("鑫", "xin"),
    ("波", "bo"),
    ("斌", "bin"),
    ("宇", "yu"),
    ("浩", "hao"),
    ("凯", "kai"),
    ("俊", "jun"),
    ("建", "jian"),
    ("国", "guo"),
    ("志", "zhi"),
    ("文", "wen"),
    ("海", "hai"),
    ("东", "dong"),
    ("峰", "feng"),
    ("晨", "chen"),
)

FEMALE_GIVEN: tuple[tuple[str, str], ...] = (
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("艳", "yan"),
    ("娟", "juan"),
    ("霞", "xia"),
    ("秀", "xiu"),
    ("玲", "ling"),
    ("婷", "ting"),
    ("雪", "xue"),
    ("琳", "lin"),
    ("慧", "hui"),
    ("颖", "ying"),
    ("洁", "jie"),
    ("梅", "mei"),
    ("倩", "qian"),
    ("雯", "wen"),
    ("璐", "lu"),
    ("欣", "xin"),
    ("怡", "yi"),
    ("佳", "jia"),
    ("悦", "yue"),
    ("晓", "xiao"),
)

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
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "177",
    "180",
    "181",
    "182",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)

# (title, department)
CONTACT_ROLES: tuple[tuple[str, str], ...] = (
    ("总经理", "总经办"),
    ("副总经理", "总经办"),
    ("采购经理", "采购部"),
    ("采购总监", "采购部"),
    ("IT经理", "信息技术部"),
    ("信息中心主任", "信息技术部"),
    ("技术总监", "技术部"),
    ("设备主管", "生产部"),
    ("生产经理", "生产部"),
    ("财务经理", "财务部"),
    ("运营总监", "运营部"),
    ("行政主管", "行政部"),
    ("项目经理", "项目部"),
    ("工程师", "技术部"),
)


@dataclass(frozen=True, slots=True)
class ProductSpec:
    code: str
    name: str
    series: str
    list_price: Decimal
    unit_range: tuple[int, int]  # how many units a typical deal buys


PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec("GW-G100", "智能网关 G100", "硬件", Decimal("3800.00"), (10, 200)),
    ProductSpec("GW-G300", "智能网关 G300", "硬件", Decimal("9800.00"), (5, 80)),
    ProductSpec("SN-S20", "工业传感器套件 S20", "硬件", Decimal("1260.00"), (50, 600)),
    ProductSpec("PF-STD", "设备管理平台 标准版（年）", "软件订阅", Decimal("48000.00"), (1, 3)),
    ProductSpec("PF-ENT", "设备管理平台 企业版（年）", "软件订阅", Decimal("128000.00"), (1, 3)),
    ProductSpec("AN-MOD", "数据分析模块（年）", "软件订阅", Decimal("36000.00"), (1, 3)),
    ProductSpec("MB-APP", "移动巡检App（年/50用户）", "软件订阅", Decimal("18000.00"), (1, 6)),
    ProductSpec("PV-LIC", "私有化部署许可", "软件许可", Decimal("380000.00"), (1, 1)),
    ProductSpec("SV-IMP", "实施服务（人天）", "服务", Decimal("2500.00"), (10, 80)),
    ProductSpec("SV-DEV", "定制开发（人天）", "服务", Decimal("3200.00"), (10, 120)),
    ProductSpec("SV-MNT", "年度维保服务", "服务", Decimal("20000.00"), (1, 3)),
    ProductSpec("SV-TRN", "培训课程（期）", "服务", Decimal("8000.00"), (1, 4)),
)

LEAD_SOURCES = ("官网表单", "展会", "客户转介绍", "电话营销", "微信公众号", "百度推广", "合作伙伴")

OPPORTUNITY_PURPOSES = (
    "采购项目",
    "升级项目",
    "扩容项目",
    "试点项目",
    "年度框架采购",
    "数字化改造",
)

LOST_REASONS = (
    "价格高于竞品",
    "预算冻结",
    "选择了竞争对手",
    "需求取消",
    "决策人变动",
    "交付周期不满足",
)

CALL_TOPICS = ("需求了解", "预算确认", "报价跟进", "技术答疑", "合同条款", "交付排期", "回款跟进")
MEETING_TOPICS = ("方案演示", "需求调研会", "技术交流会", "商务谈判", "项目启动会", "季度回顾")
EMAIL_TOPICS = ("发送产品资料", "发送报价单", "发送技术方案", "会议纪要", "合同草案")
TASK_TOPICS = ("准备报价单", "安排现场演示", "提交合同审批", "跟进回款", "回访客户", "更新客户资料")

TICKET_CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("故障报修", ("网关离线无法连接", "传感器数据中断", "平台告警延迟", "设备状态显示异常")),
    ("安装部署", ("现场安装预约", "网关固件升级", "私有化环境部署")),
    ("账号权限", ("新增用户账号", "重置管理员密码", "调整角色权限")),
    ("功能咨询", ("报表导出方法", "告警规则配置", "移动端使用问题")),
    ("发票开具", ("申请增值税专用发票", "发票信息更正")),
    ("数据导入", ("历史设备数据导入", "批量导入设备清单")),
)

TICKET_CHANNELS = ("phone", "email", "web_form", "web_chat")

# (name, channel, offset of the start in days before today, length in days, budget)
CAMPAIGNS: tuple[tuple[str, str, int, int, Decimal], ...] = (
    ("工业物联网技术峰会（上海）", "event", 700, 3, Decimal("180000.00")),
    ("春季新品发布会直播", "webinar", 620, 1, Decimal("30000.00")),
    ("制造业数字化白皮书下载", "content", 540, 60, Decimal("20000.00")),
    ("华南客户答谢会", "event", 450, 2, Decimal("120000.00")),
    ("设备管理平台试用推广", "email", 380, 45, Decimal("15000.00")),
    ("智能制造展（深圳）", "event", 300, 4, Decimal("260000.00")),
    ("年终续费关怀", "sms", 220, 30, Decimal("8000.00")),
    ("西南区域巡展", "event", 150, 20, Decimal("90000.00")),
    ("公众号预测性维护专题", "wechat", 60, 30, Decimal("12000.00")),
    ("新一代网关预售", "email", -20, 40, Decimal("25000.00")),
)
