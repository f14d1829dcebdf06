"""Choosing a chart for a report result from the shape of its columns."""

from __future__ import annotations

from zhike.ai.ask.schemas import ChartSuggestion
from zhike.analytics.query import ReportQuery, ReportResult

# A pie reads well only with a few slices.
MAX_PIE_SLICES = 6


def suggest_chart(query: ReportQuery, result: ReportResult) -> ChartSuggestion:
    """Suggest a number, a line over time, a pie of a few counts, a table of records, else bars."""
    dimensions = [column.name for column in result.columns if column.kind == "dimension"]
    measures = [column.name for column in result.columns if column.kind == "measure"]
    if not dimensions:
        return ChartSuggestion(type="number", y=measures)
    bucketed = [group.name for group in query.group_by if group.bucket is not None]
    if bucketed:
        others = [name for name in dimensions if name != bucketed[0]]
        return ChartSuggestion(
            type="line",
            x=bucketed[0],
            y=measures[:1] if others else measures,
            series=others[0] if others else None,
        )
    if "id" in dimensions and measures == ["count"]:
        # A list of records counts one record a row, so a chart would only draw ones.
        return ChartSuggestion(type="table")
    # A record's id only keeps two records of the same name apart, so it is not a series.
    dimensions = [name for name in dimensions if name != "id"] or dimensions
    if len(dimensions) > 1:
        return ChartSuggestion(type="bar", x=dimensions[0], y=measures[:1], series=dimensions[1])
    only_count = measures == ["count"]
    if only_count and 1 < len(result.rows) <= MAX_PIE_SLICES and not query.sort:
        return ChartSuggestion(type="pie", x=dimensions[0], y=measures)
    return ChartSuggestion(type="bar", x=dimensions[0], y=measures)
