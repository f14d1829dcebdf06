"""What a client may search, filter and sort an object's list by."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from zhike.api.deps import ActorDep
from zhike.platform.objects import get_object
from zhike.platform.query import ALWAYS_FILTERABLE, OPERATORS
from zhike.security.access import require

router = APIRouter(tags=["meta"])


class ListOptions(BaseModel):
    object: str
    search_fields: list[str] = Field(description="fields the `q` parameter searches")
    filter_fields: list[str] = Field(description="fields accepted as `field` or `field__op`")
    operators: list[str]
    sort_fields: list[str] = Field(description="fields accepted by `sort`, `-` for descending")
    default_sort: str


@router.get("/objects/{object_name}/list-options", response_model=ListOptions)
def get_list_options(object_name: str, actor: ActorDep) -> ListOptions:
    """The search, filter and sort fields of an object's list endpoint (needs read access)."""
    spec = get_object(object_name)
    require(actor, spec.name, "read")
    return ListOptions(
        object=spec.name,
        search_fields=list(spec.search_fields),
        filter_fields=sorted({*spec.filter_fields, *ALWAYS_FILTERABLE}),
        operators=list(OPERATORS),
        sort_fields=list(spec.sort_fields),
        default_sort=spec.default_sort,
    )
