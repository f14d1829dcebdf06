"""Matching keys for Chinese records: names, company names, phones and e-mails.

Keys are only for comparing; what users entered is stored and shown unchanged.
"""

from __future__ import annotations

import re

from zhike.ingestion.standardize import (
    StandardizationError,
    clean_text,
    normalize_email,
    normalize_mobile,
    normalize_phone,
)

# Traditional → simplified for characters common in personal names, company names and
# place names. A deliberately small table: matching only needs both spellings of a name
# to meet, not a full conversion of prose.
_TRADITIONAL_SIMPLIFIED_PAIRS = """
國国 華华 張张 陳陈 劉刘 楊杨 黃黄 趙赵 吳吴 週周 孫孙 馬马 鄭郑 謝谢 韓韩 馮冯 鄧邓 許许
蕭萧 羅罗 葉叶 蘇苏 盧卢 蔣蒋 賈贾 鍾钟 閻阎 錢钱 湯汤 龍龙 萬万 顧顾 賴赖 陸陆 鄒邹 範范
譚谭 龐庞 偉伟 麗丽 強强 軍军 傑杰 濤涛 紅红 東东 風风 鳳凤 蘭兰 雲云 輝辉 鵬鹏 飛飞 亞亚
靜静 穎颖 瑩莹 潔洁 嬌娇 艷艳 曉晓 歡欢 寧宁 樂乐 義义 禮礼 賢贤 誠诚 興兴 榮荣 廣广 長长
聰聪 劍剑 銘铭 鋒锋 凱凯 漢汉 憲宪 楓枫 夢梦 術术 網网 絡络 資资 訊讯 電电 腦脑 軟软 體体
設设 備备 數数 據据 貿贸 實实 業业 發发 開开 團团 製制 藥药 醫医 療疗 機机 動动 車车 運运
輸输 銀银 險险 證证 務务 際际 廠厂 紡纺 織织 農农 環环 節节 礦矿 產产 線线 億亿 層层 創创
聯联 達达 傳传 學学 園园 館馆 圖图 書书 報报 號号 門门 區区 縣县 鎮镇 廈厦 灣湾 臺台 滬沪
陽阳 島岛 貴贵 遼辽 閩闽 贛赣 豐丰 匯汇 濟济 經经 營营 銷销 價价 購购 買买 賣卖 質质 檢检
測测 驗验 標标 準准 計计 劃划 規规 總总 會会 員员 師师 專专 諮咨 詢询 問问 財财 稅税 審审
當当 鐵铁 鋼钢 錶表 氣气 燈灯 熱热 時时 間间 為为 無无 與与 從从 個个 們们 來来 對对 這这
還还 進进 過过 將将 點点 樣样 種种 見见 現现 變变 雙双 邊边 內内 兩两 寶宝 寫写 記记 話话
說说 語语 讀读 課课 談谈 議议 論论 訂订 認认 識识 請请 讓让 護护 協协 啟启 鳥鸟 魚鱼 雞鸡
麥麦 齊齐 鹽盐 麵面 歲岁 嶺岭 嶽岳 壽寿 愛爱 態态 懷怀 戰战 擊击 擴扩 換换 揚扬 處处 觀观
親亲 覺觉 廳厅 庫库 應应 後后 徵征 復复 複复 恆恒 悅悦 戶户 斷断 舊旧 暢畅 極极 構构 樓楼
橋桥 檔档 權权 歐欧 澤泽 濱滨 獎奖 獨独 瑪玛 畫画 盤盘 眾众 碼码 礎础 競竞 筆笔 簡简 類类
糧粮 紀纪 約约 納纳 紐纽 純纯 紙纸 級级 細细 終终 組组 結结 給给 統统 絲丝 綠绿 維维 綜综
緊紧 編编 練练 績绩 續续 習习 聖圣 聞闻 聲声 職职 舉举 藝艺 莊庄 衛卫 裝装 覽览 訪访 評评
試试 詩诗 詳详 誌志 調调 諸诸 講讲 謀谋 負负 貨货 販贩 責责 費费 賓宾 賞赏 贏赢 跡迹 軌轨
較较 載载 輕轻 輪轮 辦办 邁迈 遠远 適适 選选 郵邮 鄉乡 釋释 鈴铃 銅铜 鋁铝 錄录 錦锦 鍵键
鏈链 閃闪 關关 陣阵 隊队 階阶 隨随 隱隐 雜杂 離离 難难 霧雾 靈灵 韻韵 響响 頁页 頂顶 項项
順顺 預预 領领 頭头 題题 額额 顏颜 願愿 飯饭 飲饮 養养 驅驱 髮发 鮮鲜 黨党 齡龄 瀋沈 係系
"""

TRADITIONAL_TO_SIMPLIFIED = str.maketrans(
    {pair[0]: pair[1] for pair in _TRADITIONAL_SIMPLIFIED_PAIRS.split() if len(pair) == 2}
)

# Longer forms come first, so that 股份有限公司 is removed whole rather than leaving 股份.
_LEGAL_FORMS = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "分公司",
    "公司",
    "集团",
)
_LEGAL_FORM_FRAGMENTS = frozenset(("有限", "股份", "有限责任", "股份有限", "集团有限"))
_LATIN_LEGAL_FORMS = re.compile(
    r"\b(?:co|company|corp|corporation|inc|incorporated|ltd|limited|llc|group|holdings?)\b\.?"
)
_BRACKETED_GROUP = re.compile(r"[(\[]\s*(?:集团|group)\s*[)\]]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NOT_WORD = re.compile(r"[\W_]+")


def to_simplified(text: str) -> str:
    return text.translate(TRADITIONAL_TO_SIMPLIFIED)


def has_chinese(text: str) -> bool:
    return _CJK.search(text) is not None


def company_key(name: str | None) -> str | None:
    """Return the company name without legal form, brackets, spacing or punctuation."""
    if not name:
        return None
    text = to_simplified(clean_text(name)).lower()
    text = _BRACKETED_GROUP.sub("", text)
    text = _LATIN_LEGAL_FORMS.sub(" ", text)
    text = _NOT_WORD.sub("", text)
    whole = text
    changed = True
    while changed:
        changed = False
        for suffix in _LEGAL_FORMS:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)]
                changed = True
    # A name made only of legal-form words keeps them: nothing else would tell it apart.
    if text in _LEGAL_FORM_FRAGMENTS:
        text = whole
    return text or None


def person_name_key(name: str | None) -> str | None:
    """Chinese names as simplified characters; Latin names as sorted lower-case words.

    Sorting the words makes "Zhang Wei" and "Wei Zhang" the same key: Chinese people
    write their pinyin names in both orders.
    """
    if not name:
        return None
    text = to_simplified(clean_text(name))
    if has_chinese(text):
        return _NOT_WORD.sub("", text) or None
    words = sorted(_NOT_WORD.sub(" ", text.lower()).split())
    return " ".join(words) or None


def mobile_key(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return normalize_mobile(value)
    except StandardizationError:
        try:
            return normalize_phone(value)
        except StandardizationError:
            return None


def email_key(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return normalize_email(value)
    except StandardizationError:
        return None
