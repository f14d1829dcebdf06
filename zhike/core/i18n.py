"""Message catalogs: zh-CN is the default locale and en is complete.

Catalogs are JSON files under ``core/locales``: ``<locale>.json`` for the
core messages and ``<locale>/<area>.json`` for each domain area, so areas
grow without editing one shared file. Nested objects flatten to dotted keys.
A key missing from the requested locale falls back to zh-CN, and a key
missing everywhere is returned as is so that a gap is visible rather than silent.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

logger = logging.getLogger(__name__)

DEFAULT_LOCALE = "zh-CN"
SUPPORTED_LOCALES = ("zh-CN", "en")
# Separates the singular and the plural form of a message, as in the web catalogs.
PLURAL_SEPARATOR = " | "
# True while row errors should carry their message in every locale as well ("messages"),
# because they go to a report that is downloaded later in whichever language is requested.
_messages_in_every_locale: ContextVar[bool] = ContextVar("messages_in_every_locale", default=False)


def _flatten(prefix: str, value: Any, into: dict[str, str], source: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), item, into, source)
        return
    if not isinstance(value, str):
        raise TypeError(f"message {prefix!r} in {source} must be a string")
    if prefix in into:
        raise ValueError(f"message {prefix!r} is defined twice; {source} repeats it")
    into[prefix] = value


@cache
def load_catalog(locale: str) -> dict[str, str]:
    folder = resources.files("zhike.core").joinpath("locales")
    catalog: dict[str, str] = {}
    main = folder.joinpath(f"{locale}.json")
    _flatten("", json.loads(main.read_text("utf-8")), catalog, main.name)
    areas = folder.joinpath(locale)
    if areas.is_dir():
        for area in sorted(areas.iterdir(), key=lambda entry: entry.name):
            if area.name.endswith(".json"):
                source = f"{locale}/{area.name}"
                _flatten("", json.loads(area.read_text("utf-8")), catalog, source)
    return catalog


def negotiate_locale(accept_language: str | None, default: str = DEFAULT_LOCALE) -> str:
    """Pick a supported locale from an Accept-Language header value."""
    if not accept_language:
        return default
    weighted: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        weighted.append((weight, tag.strip().lower()))
    for _, tag in sorted(weighted, key=lambda item: -item[0]):
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return default


@contextmanager
def messages_in_every_locale() -> Iterator[None]:
    """Make row errors built inside the block add ``messages`` (locale → text)."""
    token = _messages_in_every_locale.set(True)
    try:
        yield
    finally:
        _messages_in_every_locale.reset(token)


def add_messages(error: dict[str, Any], render: Callable[[str], str]) -> dict[str, Any]:
    """Add ``render(locale)`` for every locale to ``error`` as ``messages``, when asked to."""
    if _messages_in_every_locale.get():
        error["messages"] = {locale: render(locale) for locale in SUPPORTED_LOCALES}
    return error


@dataclass(frozen=True)
class Localized:
    """A message parameter whose text depends on the locale, such as an object's label.

    ``translate`` renders it in the locale of the message, so a row error kept in every
    locale (see ``add_messages``) names the object or stage in each language.
    """

    render: Callable[[str], str]


def shown_field(field: str, locale: str) -> str:
    """Return the label people see for ``field``, e.g. "第 1 行的数量" for ``lines.0.quantity``.

    A field without a label keeps its key, so the message still names it.
    """
    catalog = load_catalog(locale)
    label = catalog.get(f"field_label.{field}")
    if label is not None:
        return label
    parts = field.split(".")
    positions = [part for part in parts if part.isdigit()]
    if not positions or not parts[-1] or parts[-1].isdigit():
        return field
    last = catalog.get(f"field_label.{parts[-1]}") or parts[-1]
    return translate("field_label_in_line", locale, field=last, line=int(positions[0]) + 1)


def catalog_label(prefix: str, name: str) -> Localized:
    """Return ``name``'s label under ``prefix`` in each locale, or the name itself without one."""
    key = f"{prefix}.{name}"

    def render(locale: str) -> str:
        return translate(key, locale) if key in load_catalog(locale) else name

    return Localized(render)


def translate(key: str, locale: str = DEFAULT_LOCALE, /, **params: Any) -> str:
    """Return the message for ``key`` in ``locale`` with ``params`` filled in.

    ``key`` and ``locale`` are positional-only, so messages may use them as parameters.
    A ``Localized`` parameter is rendered in ``locale``.
    """
    if locale not in SUPPORTED_LOCALES:
        locale = DEFAULT_LOCALE
    params = {
        name: value.render(locale) if isinstance(value, Localized) else value
        for name, value in params.items()
    }
    template = load_catalog(locale).get(key) or load_catalog(DEFAULT_LOCALE).get(key)
    if template is None:
        logger.warning("missing i18n key", extra={"i18n_key": key, "locale": locale})
        return key
    template = _plural_form(template, params.get("count"))
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):
        logger.warning("i18n parameters do not fit", extra={"i18n_key": key, "locale": locale})
        return template


def _plural_form(template: str, count: Any) -> str:
    """Pick the form of a ``"one | other"`` message by the ``count`` parameter.

    Chinese messages have a single form; English ones may give the singular first,
    as the web catalogs do for vue-i18n.
    """
    forms = template.split(PLURAL_SEPARATOR)
    if len(forms) == 1:
        return template
    if isinstance(count, int) and not isinstance(count, bool) and count == 1:
        return forms[0]
    return forms[-1]


_ENGLISH_LIST = re.compile(r"(?<=')(?:, | or )(?=')")


def validation_reason(item: Any, locale: str) -> str:
    """Return pydantic's reason for one error of ``errors()`` in ``locale``.

    Error types covered by the ``validation.*`` catalog entries are translated,
    and any other type keeps pydantic's English text.
    """
    key = f"validation.{item.get('type')}"
    if key in load_catalog(locale):
        parameters = item.get("ctx") or {}
        context = {name: str(value) for name, value in parameters.items() if "@" not in name}
        # A validator may give a parameter in each language, such as "day@zh-CN" for a weekday.
        for name, value in parameters.items():
            base, _, language = name.partition("@")
            if language == locale:
                context[base] = str(value)
        if locale.startswith("zh"):
            # pydantic joins the choices in English ("'a', 'b' or 'c'").
            context = {name: _ENGLISH_LIST.sub("、", value) for name, value in context.items()}
        try:
            return translate(key, locale, **context)
        except (KeyError, IndexError):
            pass
    return str(item.get("msg", ""))
