"""The printable quote: a PDF in Chinese or English, built with ReportLab.

Chinese text uses ReportLab's built-in CID font STSong-Light, which ships with
the library as metrics only: the PDF names the font and the reader supplies the
glyphs (every mainstream PDF reader carries an Adobe-GB1 font). Nothing is
downloaded and no font file is needed on the server.
"""

from __future__ import annotations

import io
from datetime import date
from functools import cache
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from zhike.core.i18n import translate
from zhike.sales.quote_schemas import QuoteRead

CJK_FONT = "STSong-Light"
LATIN_FONT = "Helvetica"
LATIN_BOLD = "Helvetica-Bold"


# Statuses in which the quote is not yet an offer the customer may accept.
UNOFFICIAL_STATUSES = ("draft", "pending_approval")


@cache
def _register_cjk_font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    return CJK_FONT


def _text(value: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(value), style)


def render_quote_pdf(
    quote: QuoteRead, names: dict[str, str | None], locale: str, company: str, today: date
) -> bytes:
    """Return the quote as PDF bytes; ``names`` maps account, contact and opportunity to names."""
    # Chinese needs the CID font; English keeps Helvetica but falls back to the CID font for
    # any Chinese product or customer name, which Helvetica cannot draw.
    cjk = _register_cjk_font()
    regular = cjk if locale != "en" or _has_cjk(quote, names, company) else LATIN_FONT
    bold = regular if regular == cjk else LATIN_BOLD

    def label(key: str, **params: object) -> str:
        return translate(f"sales_process.pdf.{key}", locale, **params)

    body = ParagraphStyle("body", fontName=regular, fontSize=9, leading=13)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=11, textColor=colors.grey)
    heading = ParagraphStyle("heading", fontName=bold, fontSize=18, leading=24, spaceAfter=6)
    cell = ParagraphStyle("cell", parent=body, fontSize=8.5, leading=11)
    right = ParagraphStyle("right", parent=cell, alignment=2)

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"{label('title')} {quote.number}",
        author=company,
    )
    story: list[Flowable] = [
        _text(company, small),
        _text(label("title"), heading),
    ]
    if quote.status in UNOFFICIAL_STATUSES:
        # A draft or a discount still waiting for approval must not pass for an offer.
        warning = ParagraphStyle("draft", parent=body, fontName=bold, textColor=colors.red)
        story.append(_text(label("not_final", status=label(f"status_{quote.status}")), warning))
    facts = [
        (label("number"), f"{quote.number}  v{quote.version_number}"),
        (label("date"), today.isoformat()),
        (label("valid_until"), quote.valid_until.isoformat() if quote.valid_until else "-"),
        (label("customer"), names.get("account") or "-"),
        (label("contact"), names.get("contact") or "-"),
        (label("subject"), quote.title),
        (label("currency"), quote.currency),
    ]
    facts_table = Table(
        [[_text(name, small), _text(value, body)] for name, value in facts],
        colWidths=[32 * mm, 140 * mm],
    )
    facts_table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [facts_table, Spacer(1, 6 * mm)]

    header = [
        label(key) for key in ("line", "item", "quantity", "unit_price", "discount", "amount")
    ]
    rows: list[list[Flowable]] = [[_text(name, cell) for name in header]]
    for index, line in enumerate(quote.lines, start=1):
        item = line.name if not line.description else f"{line.name}\n{line.description}"
        rows.append(
            [
                _text(str(index), cell),
                Paragraph(escape(item).replace("\n", "<br/>"), cell),
                _text(f"{line.quantity:,f}".rstrip("0").rstrip("."), right),
                _text(f"{line.unit_price:,.2f}", right),
                _text(f"{line.discount_percent:g}%" if line.discount_percent else "-", right),
                _text(f"{line.amount:,.2f}", right),
            ]
        )
    lines_table = Table(
        rows,
        colWidths=[10 * mm, 72 * mm, 20 * mm, 26 * mm, 18 * mm, 28 * mm],
        repeatRows=1,
    )
    lines_table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEF2F7")),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#8A99AD")),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#D5DCE5")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [lines_table, Spacer(1, 4 * mm)]

    totals = [
        (label("list_total"), quote.list_total),
        (label("subtotal"), quote.subtotal),
        (label("header_discount", percent=f"{quote.discount_percent:g}"), -quote.discount_amount),
        (label("tax", percent=f"{quote.tax_percent:g}"), quote.tax_amount),
        (label("total"), quote.total),
    ]
    totals_table = Table(
        [
            [_text(name, right), _text(f"{quote.currency} {value:,.2f}", right)]
            for name, value in totals
        ],
        colWidths=[146 * mm, 28 * mm],
    )
    totals_table.setStyle(TableStyle([("LINEABOVE", (0, -1), (-1, -1), 0.6, colors.black)]))
    story += [totals_table, Spacer(1, 6 * mm)]
    if quote.terms:
        story += [
            _text(label("terms"), small),
            Paragraph(escape(quote.terms).replace("\n", "<br/>"), body),
        ]
    document.build(story)
    return buffer.getvalue()


def _has_cjk(quote: QuoteRead, names: dict[str, str | None], company: str) -> bool:
    texts = [quote.title, quote.terms or "", company, *(value or "" for value in names.values())]
    texts += [line.name + (line.description or "") for line in quote.lines]
    return any(ord(character) > 0x2E7F for text in texts for character in text)
