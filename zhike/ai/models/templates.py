"""The model templates: what each predicts, on which object, and how it starts cold.

A template is configuration, not code: the feature builders live in
``features``, the learners in ``learners``. Cold-start rules and the hand-over
threshold can be overridden per tenant in ``Tenant.settings["models"][template]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zhike.core.errors import NotFound


@dataclass(frozen=True)
class Rule:
    """A cold-start rule: when ``feature`` meets the condition, add ``weight`` to the prior."""

    feature: str
    weight: float
    equals: tuple[str, ...] = ()
    at_least: float | None = None
    below: float | None = None

    def matches(self, value: Any) -> bool:
        if value is None:
            return False
        if self.equals:
            return str(value).lower() in {item.lower() for item in self.equals}
        try:
            number = float(value)
        except (TypeError, ValueError):
            return False
        if self.at_least is not None and number < self.at_least:
            return False
        return not (self.below is not None and number >= self.below)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rule:
        return cls(
            feature=str(data["feature"]),
            weight=float(data["weight"]),
            equals=tuple(str(item) for item in data.get("equals", ())),
            at_least=data.get("at_least"),
            below=data.get("below"),
        )


@dataclass(frozen=True)
class Template:
    name: str
    object_name: str
    kind: str  # "binary" or "text"
    prior: float
    rules: tuple[Rule, ...]
    min_labelled: int
    # Fields never used as features: known only after the outcome they would predict.
    excluded_fields: tuple[str, ...] = ()
    positive_class: str = "1"
    labels: tuple[str, ...] = field(default_factory=tuple)


TEMPLATES: dict[str, Template] = {
    template.name: template
    for template in (
        Template(
            name="lead_score",
            object_name="leads",
            kind="binary",
            prior=0.10,
            rules=(
                Rule(
                    "lead_source",
                    0.10,
                    equals=("referral", "转介绍", "老客户推荐", "organic_search"),
                ),
                Rule("lead_source", 0.04, equals=("paid_search", "email", "展会")),
                Rule("has_mobile", 0.03, at_least=1),
                Rule("has_company", 0.03, at_least=1),
                Rule("activities_30d", 0.05, at_least=1),
                Rule("days_since_last_activity", -0.05, at_least=30),
            ),
            min_labelled=200,
        ),
        Template(
            name="win_probability",
            object_name="opportunities",
            kind="binary",
            prior=0.35,
            rules=(
                Rule("stage_position", 0.10, at_least=2),
                Rule("stage_position", 0.10, at_least=3),
                Rule("activities_30d", 0.05, at_least=2),
                Rule("days_since_last_activity", -0.10, at_least=30),
            ),
            min_labelled=200,
        ),
        Template(
            name="churn_risk",
            object_name="accounts",
            kind="binary",
            prior=0.15,
            rules=(
                Rule("tickets_90d", 0.10, at_least=3),
                Rule("days_since_last_activity", 0.10, at_least=90),
                Rule("activities_90d", -0.05, at_least=3),
            ),
            min_labelled=200,
        ),
        Template(
            name="campaign_response",
            object_name="campaign_members",
            kind="binary",
            prior=0.10,
            rules=(
                Rule("previous_responses", 0.20, at_least=1),
                Rule("previous_touches", -0.03, at_least=5),
            ),
            min_labelled=300,
            excluded_fields=("duration",),
        ),
        Template(
            name="sentiment",
            object_name="tickets",
            kind="text",
            prior=0.5,
            rules=(),
            min_labelled=300,
            labels=("negative", "neutral", "positive"),
        ),
        Template(
            name="ticket_category",
            object_name="tickets",
            kind="text",
            prior=0.0,
            rules=(),
            min_labelled=100,
        ),
    )
}


def get_template(name: str) -> Template:
    try:
        return TEMPLATES[name]
    except KeyError:
        raise NotFound("unknown_model_template", name=name, known=", ".join(TEMPLATES)) from None


def tenant_overrides(settings: dict[str, Any], name: str) -> dict[str, Any]:
    models = settings.get("models") if isinstance(settings, dict) else None
    value = models.get(name) if isinstance(models, dict) else None
    return value if isinstance(value, dict) else {}


def effective_template(name: str, settings: dict[str, Any]) -> Template:
    """The template with the tenant's own prior, rules and hand-over threshold applied."""
    template = get_template(name)
    overrides = tenant_overrides(settings, name)
    if not overrides:
        return template
    rules = template.rules
    if "rules" in overrides:
        rules = tuple(Rule.from_dict(item) for item in overrides["rules"])
    return Template(
        name=template.name,
        object_name=template.object_name,
        kind=template.kind,
        prior=float(overrides.get("prior", template.prior)),
        rules=rules,
        min_labelled=int(overrides.get("min_labelled", template.min_labelled)),
        excluded_fields=template.excluded_fields,
        positive_class=template.positive_class,
        labels=template.labels,
    )
