"""Reading knowledge from files: Markdown, plain text, Word (DOCX), PDF and FAQ spreadsheets.

A DOCX or PDF becomes one article: its title is the document's title property,
else its first heading (DOCX) or first line, else the file name.

An FAQ spreadsheet has the columns ``question`` and ``answer`` (or 问题 and 答案),
optionally ``id`` (or 编号): rows sharing an id are the standard question (the first
row) and similar questions of one entry, and optionally ``category`` (分类).
"""

from __future__ import annotations

import csv
import io
from pathlib import PurePath
from typing import Any

from zhike.core.errors import InvalidInput

COLUMN_NAMES = {
    "question": ("question", "问题", "标准问", "相似问"),
    "answer": ("answer", "答案", "回答"),
    "id": ("id", "编号"),
    "category": ("category", "分类"),
    "title": ("title", "标题"),
    "body": ("body", "正文", "内容"),
}
# Titles that PDF writers (reportlab, some print drivers) store when the author set none.
PLACEHOLDER_TITLES = frozenset({"untitled", "无标题", "(anonymous)"})
SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".docx", ".pdf", ".csv", ".xlsx")


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("kb_import_encoding")


def _document(name: str, text: str, is_markdown: bool) -> list[dict[str, Any]]:
    title = PurePath(name).stem
    lines = text.splitlines()
    if is_markdown:
        for position, line in enumerate(lines):
            if line.startswith("# "):
                title = line[2:].strip() or title
                del lines[position]
                break
    body = "\n".join(lines).strip()
    return [{"kind": "article", "title": title[:500], "body": body}]


def _column(header: list[str], concept: str) -> int | None:
    normalized = [cell.strip().lower() for cell in header]
    for alias in COLUMN_NAMES[concept]:
        if alias in normalized:
            return normalized.index(alias)
    return None


def _table_rows(name: str, content: bytes) -> list[list[str]]:
    if name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        return [
            ["" if cell is None else str(cell) for cell in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    return list(csv.reader(io.StringIO(_decode(content))))


def read_table(name: str, content: bytes) -> list[dict[str, Any]]:
    """FAQ entries (or articles, with title and body columns) from a spreadsheet."""
    rows = [row for row in _table_rows(name, content) if any(cell.strip() for cell in row)]
    if not rows:
        return []
    header, data = rows[0], rows[1:]
    question, answer = _column(header, "question"), _column(header, "answer")
    title, body = _column(header, "title"), _column(header, "body")
    identifier, category = _column(header, "id"), _column(header, "category")
    if question is None and title is None:
        raise InvalidInput("kb_import_columns", file=name)

    def cell(row: list[str], position: int | None) -> str:
        return row[position].strip() if position is not None and position < len(row) else ""

    entries: dict[str, dict[str, Any]] = {}
    for number, row in enumerate(data, start=2):
        key = cell(row, identifier) or f"row-{number}"
        text = cell(row, question) if question is not None else cell(row, title)
        if not text:
            continue
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = {
                "kind": "faq" if question is not None else "article",
                "title": text[:500],
                "body": cell(row, answer) if question is not None else cell(row, body),
                "similar_questions": [],
                "external_id": None if key.startswith("row-") else key[:100],
            }
            if cell(row, category):
                entry["category"] = cell(row, category)[:300]
        else:
            entry["similar_questions"].append(text[:500])
            if not entry["body"]:
                entry["body"] = cell(row, answer)
    return list(entries.values())


def read_docx(name: str, content: bytes) -> list[dict[str, Any]]:
    """One article from a Word document: headings become Markdown headings in the body."""
    import zipfile

    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = Document(io.BytesIO(content))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise InvalidInput("kb_import_unreadable", file=name, reason=str(error)[:200]) from None
    title = (document.core_properties.title or "").strip()
    lines: list[str] = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if style.startswith("Heading") or style == "Title":
            if not title:
                title = text
                continue
            level = style.removeprefix("Heading").strip()
            lines.append(f"{'#' * (int(level) + 1 if level.isdigit() else 2)} {text}")
        else:
            lines.append(text)
    for table in document.tables:
        for row in table.rows:
            cells = [cell.text.strip() for cell in row.cells]
            if any(cells):
                lines.append(" | ".join(cells))
    return _document_article(name, title, lines)


def read_pdf(name: str, content: bytes) -> list[dict[str, Any]]:
    """One article from the text layer of a PDF; scanned pages without text yield nothing."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(content))
        pages = [page.extract_text() or "" for page in reader.pages]
        metadata_title = (reader.metadata.title if reader.metadata else None) or ""
    except (PdfReadError, ValueError, KeyError) as error:
        raise InvalidInput("kb_import_unreadable", file=name, reason=str(error)[:200]) from None
    lines = [line.strip() for page in pages for line in page.splitlines() if line.strip()]
    if not lines:
        raise InvalidInput("kb_import_no_text", file=name)
    title = str(metadata_title).strip()
    if title.lower() in PLACEHOLDER_TITLES:
        title = ""
    if not title:
        title, lines = lines[0], lines[1:]
    return _document_article(name, title, lines)


def _document_article(name: str, title: str, lines: list[str]) -> list[dict[str, Any]]:
    title = title or PurePath(name).stem
    return [{"kind": "article", "title": title[:500], "body": "\n".join(lines).strip()}]


def read_knowledge_file(name: str, content: bytes) -> list[dict[str, Any]]:
    """Article or FAQ entry bodies (create-schema fields) found in one file."""
    suffix = PurePath(name).suffix.lower()
    if suffix in (".md", ".markdown"):
        return _document(name, _decode(content), is_markdown=True)
    if suffix == ".txt":
        return _document(name, _decode(content), is_markdown=False)
    if suffix == ".docx":
        return read_docx(name, content)
    if suffix == ".pdf":
        return read_pdf(name, content)
    if suffix in (".csv", ".xlsx"):
        return read_table(name, content)
    raise InvalidInput("kb_import_format", file=name, supported=", ".join(SUPPORTED_SUFFIXES))
