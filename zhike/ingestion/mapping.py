"""Turn one source row into the values of one target record, as a profile step says.

Each field mapping is compiled once into a small function, so the per-row work
is a handful of dictionary look-ups and the type conversion itself. A step whose
fields all copy one text column as it is (the usual contact list) takes a
shorter path; any row that path cannot map plainly, such as one with an empty
required cell, goes through the general path, so both give the same result.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from zhike.core.i18n import add_messages, translate
from zhike.ingestion.convert import FALSE_WORDS, TRUE_WORDS, ConversionError, convert
from zhike.ingestion.profile import ROW_NUMBER_COLUMN, TEMPLATE_PART, FieldMapping, Lookup, Step
from zhike.ingestion.readers import FileError
from zhike.platform.field_catalog import field_label
from zhike.security.context import Actor

_NOT_WORD = re.compile(r"[^\w]+")
_MISSING = object()


@dataclass
class PendingLookup:
    field: str
    lookup: Lookup
    key: str
    column: str


@dataclass
class MappedRow:
    number: int
    values: dict[str, Any]
    errors: list[dict[str, Any]] = field(default_factory=list)
    lookups: list[PendingLookup] = field(default_factory=list)


def row_error(
    actor: Actor,
    field_name: str,
    column: str,
    value: Any,
    code: str,
    *,
    object_name: str = "",
    **params: Any,
) -> dict[str, Any]:
    """One error of a row; the message names the field by its label, as the screens do."""
    shown = "" if value is None else str(value)
    if len(shown) > 200:
        shown = shown[:200] + "…"

    def render(locale: str) -> str:
        return translate(
            f"error.{code}",
            locale,
            field=field_label(object_name, field_name, locale),
            column=column,
            value=shown,
            **params,
        )

    error = {
        "field": field_name,
        "column": column,
        "value": shown,
        "code": code,
        "message": render(actor.locale),
    }
    return add_messages(error, render)


def kilobytes(size: int) -> str:
    """Format a byte count in KB, with one decimal only where it is not zero."""
    return f"{size / 1024:.1f}".removesuffix(".0")


def _transform(names: Sequence[str]) -> Callable[[str], str]:
    def apply(text: str) -> str:
        for name in names:
            if name == "lower":
                text = text.lower()
            elif name == "upper":
                text = text.upper()
            elif name == "collapse_spaces":
                text = " ".join(text.split())
            elif name == "slug":
                text = _NOT_WORD.sub(".", text.lower()).strip(".")
            else:
                text = text.strip()
        return text

    return apply


class RowMapper:
    """Maps rows of one file to values of the step's target."""

    def __init__(
        self, step: Step, header: list[str], actor: Actor, max_cell_bytes: int, file_name: str
    ) -> None:
        self.step = step
        self.actor = actor
        self.max_cell_bytes = max_cell_bytes
        positions = {name: position for position, name in enumerate(header) if name}
        wanted = step.required_columns()
        missing = [name for name in wanted if name not in positions]
        if missing:
            raise FileError(
                "import_header_mismatch",
                file=file_name,
                step=step.name,
                missing=", ".join(missing),
                found=", ".join(name for name in header if name) or "-",
            )
        self.header = header
        # Only the columns the step reads are looked at, so wide files cost no more.
        self.index = {name: positions[name] for name in wanted}
        self.skip_if_empty = [self.index[name] for name in step.skip_if_empty]
        self.fields = [
            (name, mapping, self._compile(mapping)) for name, mapping in step.fields.items()
        ]
        self.columns_of_field = {
            name: ", ".join(mapping.source_columns()) for name, mapping in step.fields.items()
        }
        self.plain_fields = self._plain_fields(step)
        self.plain_width = 1 + max((field[1] for field in self.plain_fields or ()), default=-1)

    def _plain_fields(self, step: Step) -> list[tuple[str, int, bool, str | None]] | None:
        """(field, cell position, required, custom field name) of each field, if all are plain."""
        if step.splits:
            return None
        plain = []
        for name, mapping in step.fields.items():
            if (
                mapping.column is None
                or mapping.column not in self.index
                or mapping.value is not None
                or mapping.type != "text"
                or mapping.transforms
                or mapping.map is not None
                or mapping.default is not None
                or mapping.lookup is not None
            ):
                return None
            custom = name.removeprefix("custom.") if name.startswith("custom.") else None
            plain.append((name, self.index[mapping.column], mapping.required, custom))
        return plain

    def _compile(self, mapping: FieldMapping) -> Callable[[dict[str, Any]], Any]:
        # Transforms apply to each cell a field reads, so that a template can slug a
        # name without touching its own literal text ("{name}@example.com").
        shape = _transform(mapping.transforms) if mapping.transforms else None

        def cell(cells: dict[str, Any], name: str) -> Any:
            value = cells.get(name, "")
            return shape(value) if shape is not None and isinstance(value, str) else value

        if mapping.value is not None:
            constant = mapping.value
            return lambda cells: constant
        if mapping.column is not None:
            column = mapping.column
            return lambda cells: cell(cells, column)
        if mapping.columns is not None:
            names, separator = mapping.columns, mapping.separator

            def combine(cells: dict[str, Any]) -> str:
                parts = (str(cell(cells, name)).strip() for name in names)
                return separator.join(part for part in parts if part)

            return combine
        template = mapping.template or ""

        def fill(cells: dict[str, Any]) -> str:
            if not any(
                str(cells.get(name, "")).strip() for name in TEMPLATE_PART.findall(template)
            ):
                return ""
            return TEMPLATE_PART.sub(
                lambda match: str(cell(cells, match.group(1))).strip(), template
            )

        return fill

    def _cells(self, number: int, raw: list[Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        errors: list[dict[str, Any]] = []
        limit = self.max_cell_bytes
        cells: dict[str, Any] = {ROW_NUMBER_COLUMN: str(number)}
        for name, position in self.index.items():
            value = raw[position] if position < len(raw) else ""
            if isinstance(value, str):
                # A character takes at most 4 bytes in UTF-8: only long cells need encoding.
                if len(value) * 4 > limit and len(value.encode("utf-8")) > limit:
                    size = len(value.encode("utf-8"))
                    errors.append(
                        row_error(
                            self.actor,
                            name,
                            name,
                            value[:50],
                            "cell_too_large",
                            object_name=self.step.target,
                            size_kb=kilobytes(size),
                            maximum_kb=kilobytes(limit),
                        )
                    )
                    value = ""
                else:
                    value = value.strip()
            cells[name] = value
        for split in self.step.splits:
            text = str(cells.get(split.column, ""))
            if split.pattern is not None:
                match = re.fullmatch(split.pattern, text) if text else None
                parts = list(match.groups("")) if match else []
                if text and match is None:
                    errors.append(
                        row_error(
                            self.actor,
                            split.column,
                            split.column,
                            text,
                            "split_no_match",
                            object_name=self.step.target,
                        )
                    )
            else:
                parts = text.split(split.separator, len(split.into) - 1) if text else []
            for position, name in enumerate(split.into):
                cells[name] = parts[position].strip() if position < len(parts) else ""
        return cells, errors

    def is_relevant(self, raw: list[Any]) -> bool:
        for position in self.skip_if_empty:
            if position >= len(raw) or not str(raw[position]).strip():
                return False
        return True

    def map_row(self, number: int, raw: list[Any]) -> MappedRow:
        if self.plain_fields is not None:
            values = self._plain_values(raw)
            if values is not None:
                return MappedRow(number, values)
        return self._map_cells(number, raw)

    def _plain_values(self, raw: list[Any]) -> dict[str, Any] | None:
        """The values of a row of plain fields, or None when the row needs the general path."""
        if len(raw) < self.plain_width:
            return None
        # Below a quarter of the byte limit in characters, no cell can exceed it.
        longest = self.max_cell_bytes // 4
        values: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        for name, position, required, custom_name in self.plain_fields or ():
            value = raw[position]
            if not isinstance(value, str) or len(value) > longest:
                return None
            value = value.strip() or None
            if value is None and required:
                return None
            if custom_name is None:
                values[name] = value
            else:
                custom[custom_name] = value
        if custom:
            values["custom"] = custom
        return values

    def _map_cells(self, number: int, raw: list[Any]) -> MappedRow:
        cells, errors = self._cells(number, raw)
        row = MappedRow(number, {}, errors)
        if errors:
            # A row with an oversized or unsplittable cell is rejected for that reason alone.
            return row
        custom: dict[str, Any] = {}
        for name, mapping, source in self.fields:
            value = self._field_value(row, name, mapping, source(cells))
            if value is _MISSING:
                continue
            if name.startswith("custom."):
                custom[name.removeprefix("custom.")] = value
            else:
                row.values[name] = value
        if custom:
            row.values["custom"] = custom
        return row

    def _field_value(self, row: MappedRow, name: str, mapping: FieldMapping, raw: Any) -> Any:
        column = self.columns_of_field[name]
        empty = raw == "" if isinstance(raw, str) else raw is None
        if not empty and mapping.map is not None:
            key = str(raw)
            if key in mapping.map:
                raw = mapping.map[key]
                empty = raw is None or raw == ""
            elif mapping.map_strict:
                row.errors.append(
                    row_error(
                        self.actor,
                        name,
                        column,
                        raw,
                        "value_not_in_map",
                        object_name=self.step.target,
                        allowed=", ".join(str(item) for item in mapping.map),
                    )
                )
                return _MISSING
        if empty:
            if mapping.default is not None:
                raw = mapping.default
            elif mapping.required:
                row.errors.append(
                    row_error(
                        self.actor, name, column, "", "required_cell", object_name=self.step.target
                    )
                )
                return _MISSING
            else:
                return None
        if mapping.lookup is not None:
            row.lookups.append(PendingLookup(name, mapping.lookup, str(raw), column))
            return None
        if not isinstance(raw, str) and mapping.type == "text":
            return raw if mapping.value is not None else str(raw)
        try:
            return convert(
                mapping.type,
                raw,
                timezone=self.actor.timezone,
                fmt=mapping.format,
                multiply=mapping.multiply,
                true_words=frozenset(word.lower() for word in mapping.true_values)
                if mapping.true_values
                else TRUE_WORDS,
                false_words=frozenset(word.lower() for word in mapping.false_values)
                if mapping.false_values
                else FALSE_WORDS,
            )
        except ConversionError as error:
            row.errors.append(
                row_error(
                    self.actor,
                    name,
                    column,
                    raw,
                    error.code,
                    object_name=self.step.target,
                    **error.params,
                )
            )
            return _MISSING
