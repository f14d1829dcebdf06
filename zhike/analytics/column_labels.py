"""Human labels of report columns, as the report screen shows them, for file headers.

The rules follow the web report screen (``describeColumns`` in
``web/src/modules/analytics/reportFields.ts``): a known alias has its own label,
a group is labelled by its field path ("Owner / Name") and its time bucket, and
a measure by its aggregate and field ("Sum · Amount"). The alias, aggregate and
bucket labels are copies of the web catalogs under ``report_column``, and a test
keeps the copies equal. The previous-period and change columns of
``compare_previous`` get their measure's label with a suffix.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import get_args

from sqlalchemy.orm import Session

from zhike.analytics.query import ReportGroup, ReportMeasure, ReportQuery, TimeBucket
from zhike.analytics.report_fields import ReportFieldCatalog, report_field_catalog
from zhike.core.i18n import load_catalog, translate
from zhike.security.context import Actor


class _Labeller:
    def __init__(self, catalog: ReportFieldCatalog, locale: str) -> None:
        self.catalog = catalog
        self.locale = locale
        self.messages = load_catalog(locale)

    def _in_locale(self, label_zh: str, label_en: str) -> str:
        return label_zh if self.locale == "zh-CN" else label_en

    def message(self, key: str) -> str | None:
        return self.messages.get(f"report_column.{key}")

    def field_path(self, path: str) -> str | None:
        """Label a field path with the relation it is reached through ("Owner / Name")."""
        field = next((item for item in self.catalog.fields if item.path == path), None)
        if field is None:
            # A record's id is no report field, but a list of records groups by it.
            return self.message("record_id") if path == "id" else None
        own = self._in_locale(field.label_zh, field.label_en)
        relation = next(
            (item for item in self.catalog.relations if item.name == field.relation), None
        )
        if not field.relation or relation is None:
            return own
        through = self._in_locale(relation.label_zh, relation.label_en)
        # "Stage / Stage" would repeat the same word.
        return own if through == own else f"{through} / {own}"

    def group(self, group: ReportGroup) -> str:
        alias = self.message(f"alias.{group.alias}") if group.alias else None
        if alias is not None:
            return alias
        label = self.field_path(group.field) or group.field
        if group.bucket is None:
            return label
        bucket = self.message(f"bucket_name.{group.bucket}") or group.bucket
        return translate("report_column.bucket", self.locale, label=label, bucket=bucket)

    def measure(self, measure: ReportMeasure) -> str:
        alias = self.message(f"alias.{measure.alias}") if measure.alias else None
        if alias is not None:
            return alias
        aggregate = self.message(f"aggregate.{measure.aggregate}")
        if measure.field and measure.aggregate != "avg_days":
            field = self.field_path(measure.field) or measure.field
            return f"{aggregate or measure.aggregate} · {field}"
        return aggregate or measure.name


def column_labels(
    session: Session,
    actor: Actor,
    query: ReportQuery,
    generalised: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Map each column name of ``query``'s result to its label in the actor's language.

    ``generalised`` is the anonymisation's map of group names to what they became, so a
    day bucket coarsened to months is labelled by month. A result column missing from
    the map, such as a city group that became a province, is labelled by its field when
    the object has a field of that name.
    """
    catalog = report_field_catalog(session, actor, query.object)
    labeller = _Labeller(catalog, actor.locale)
    labels = {}
    for group in query.group_by:
        coarser = (generalised or {}).get(group.name)
        if coarser in get_args(TimeBucket):
            group = group.model_copy(update={"bucket": coarser})
        labels[group.name] = labeller.group(group)
    for measure in query.measures:
        label = labeller.measure(measure)
        labels[measure.name] = label
        for suffix in ("previous", "change"):
            labels[f"{measure.name}:{suffix}"] = translate(
                f"report_column.{suffix}", actor.locale, label=label
            )
    for field in catalog.fields:
        if not field.relation and field.path not in labels:
            labels[field.path] = labeller.field_path(field.path) or field.path
    return labels
