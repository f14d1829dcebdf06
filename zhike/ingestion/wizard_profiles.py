"""Built-in mapping profiles offered in the import wizard.

The profiles that ship with the product (``zhike/ingestion/profiles``) describe public
files such as the MavenTech sales pipeline. The wizard imports one file into one object,
so each profile step that targets a wizard object becomes one choice: applying it fills
the column → field mapping. Fields the step fills without a single column of its own (a
name built from a template, a fixed currency) are listed as ``fixed_fields``. A plan that
names the profile gets those fields and the step's value maps (``GTXPro`` → ``GTX Pro``),
so the file imports as the command line would import it.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from zhike.core.errors import ValidationFailed
from zhike.core.i18n import translate
from zhike.ingestion.profile import (
    ROW_NUMBER_COLUMN,
    FieldMapping,
    Lookup,
    Profile,
    Step,
    load_profile,
    shipped_profiles,
)
from zhike.platform.field_catalog import FieldInfo
from zhike.platform.normalize import field_error
from zhike.security.context import Actor

# Descriptions of shipped profiles carry both languages: "销售管道（…）/ Sales pipeline (…)".
# The last "/ " splits them, because the Chinese part may hold a slash ("CSV/XLSX").
_LANGUAGE_SEPARATOR = "/ "


class MappingProfileRead(BaseModel):
    """One profile step the wizard can apply to a file."""

    profile: str = Field(description="profile name, e.g. crm-pipeline")
    step: str = Field(description="step of the profile, e.g. opportunities")
    label: str = Field(
        description="the profile's and the step's description in the caller's language"
    )
    object: str = Field(description="object the step imports into")
    file: str | None = Field(description="the file of the public data set the step reads")
    is_built_in: bool = Field(description="shipped with the product, not saved by the tenant")
    mapping: dict[str, str] = Field(description="source column → field name")
    fixed_fields: list[str] = Field(
        description="fields the step fills from a template or a constant, not from one column"
    )
    historical: bool = Field(
        description="the profile imports as historical data by default, without the sales "
        "process's stage requirements; only administrators may run a historical import"
    )


def localized_description(profile: Profile, locale: str) -> str:
    return _localized(profile.description, locale) or profile.name


def step_label(profile: Profile, step: Step, locale: str) -> str:
    """Name a step as the wizard lists it: the profile, then the step's own description.

    Two steps of one profile may read the same file into the same object (accounts, then
    their parent accounts), so only the step's description distinguishes them.
    """
    label = localized_description(profile, locale)
    purpose = _localized(step.description, locale)
    return f"{label} · {purpose}" if purpose else label


def _localized(text: str, locale: str) -> str:
    chinese, separator, english = text.rpartition(_LANGUAGE_SEPARATOR)
    if not separator:
        return text.strip()
    return chinese.strip() if locale == "zh-CN" else english.strip()


def list_wizard_profiles(
    actor: Actor, wizard_objects: tuple[str, ...], fields_of: dict[str, list[FieldInfo]]
) -> list[MappingProfileRead]:
    """List the steps of shipped profiles that import into one of ``wizard_objects``.

    ``wizard_objects`` are the objects the caller may import with the wizard, and
    ``fields_of`` holds the mappable fields of each. A step's fields that the wizard
    cannot fill (undeclared custom fields, ids) are left out of its mapping.
    """
    entries = []
    for name in shipped_profiles():
        profile = load_profile(name)
        for step in profile.steps:
            if step.target not in wizard_objects or step.splits:
                continue
            known = {info.name for info in fields_of.get(step.target, [])}
            mapping = {
                field_mapping.column: field_name
                for field_name, field_mapping in step.fields.items()
                if field_mapping.column is not None and field_name in known
            }
            if not mapping:
                continue
            entries.append(
                MappingProfileRead(
                    profile=profile.name,
                    step=step.name,
                    label=step_label(profile, step, actor.locale),
                    object=step.target,
                    file=step.file,
                    is_built_in=True,
                    mapping=mapping,
                    fixed_fields=sorted(
                        field_name
                        for field_name, field_mapping in step.fields.items()
                        if field_mapping.column is None and field_name in known
                    ),
                    historical=profile.historical,
                )
            )
    return entries


def find_wizard_step(actor: Actor, profile_name: str, step_name: str, object_name: str) -> Step:
    """Return the step of a shipped profile named in a wizard plan, or raise a 422."""
    # Only shipped profiles: a plan must never make the server read a YAML file by path.
    if profile_name in shipped_profiles():
        for step in load_profile(profile_name).steps:
            if step.name == step_name and step.target == object_name and not step.splits:
                return step
    raise ValidationFailed(
        [
            field_error(
                actor,
                "profile",
                f"{profile_name}/{step_name}",
                "import_profile_step_unknown",
                object=translate(f"import_wizard.object.{object_name}", actor.locale),
            )
        ]
    )


def profile_source(profile_name: str) -> str:
    """The external-id source of a shipped profile, so a wizard run upserts its records."""
    return load_profile(profile_name).source


def merge_step_mapping(
    column: str, step: Step, field_name: str, wizard_mapping: FieldMapping
) -> FieldMapping:
    """Use the step's rule for a field the person mapped from the same column as the step.

    The step's value map, transforms and cell type apply, but a reference keeps the wizard's
    lookup: the step looks records up by the data set's external ids, which records created
    in the product do not have.
    """
    rule = step.fields.get(field_name)
    if rule is None or rule.column != column:
        return wizard_mapping
    lookup: Lookup | None = wizard_mapping.lookup if wizard_mapping.lookup else rule.lookup
    return rule.model_copy(update={"lookup": lookup})


def fixed_mappings(
    step: Step, header: list[str], mapped: set[str], allowed: set[str]
) -> dict[str, FieldMapping]:
    """Return the step's template and constant fields that the person left unmapped.

    A template whose columns this file lacks is left out, so the field stays unmapped and
    the usual "required field has no column" error names it.
    """
    present = {*header, ROW_NUMBER_COLUMN}
    return {
        field_name: rule
        for field_name, rule in step.fields.items()
        if rule.column is None
        and field_name in allowed
        and field_name not in mapped
        and set(rule.source_columns()) <= present
    }
