"""A small bilingual landing page at ``/`` until the web UI is served there."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from zhike.core.i18n import SUPPORTED_LOCALES, translate

router = APIRouter(include_in_schema=False)

_KEYS = ("intro", "demo", "login", "docs", "openapi", "switch")


@router.get("/", response_class=HTMLResponse)
def landing(request: Request, lang: str | None = None) -> HTMLResponse:
    """zh-CN by default; ``?lang=en`` switches, as the link on the page does."""
    locale = lang if lang in SUPPORTED_LOCALES else "zh-CN"
    other = "en" if locale == "zh-CN" else "zh-CN"
    text = {key: escape(translate(f"landing.{key}", locale)) for key in _KEYS}
    title = escape(translate("landing.title", locale))
    page = f"""<!doctype html>
<html lang="{locale}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;
padding:0 1rem;line-height:1.6}}</style></head>
<body>
<p><a href="/?lang={other}">{text["switch"]}</a></p>
<h1>{title}</h1>
<p>{text["intro"]}</p>
<p>{text["demo"]}</p>
<p>{text["login"]}</p>
<ul>
<li><a href="/api/v1/docs">{text["docs"]}</a></li>
<li><a href="/api/v1/openapi.json">{text["openapi"]}</a></li>
</ul>
</body>
</html>
"""
    return HTMLResponse(page)
