"""Import every model module so that ``Base.metadata`` knows all tables."""

from __future__ import annotations

from zhike.core.db import Base


def load_models() -> type[Base]:
    from zhike.ai.agents import models as _agents  # noqa: F401
    from zhike.ai.llm import models as _llm  # noqa: F401
    from zhike.ai.models import models as _ai_models  # noqa: F401
    from zhike.analytics import indexes as _analytics_indexes  # noqa: F401
    from zhike.analytics import privacy as _analytics_privacy  # noqa: F401
    from zhike.analytics import rollup_models as _analytics_rollups  # noqa: F401
    from zhike.analytics import saved_models as _analytics_saved  # noqa: F401
    from zhike.audit import models as _audit  # noqa: F401
    from zhike.customers import identity_models as _customer_identities  # noqa: F401
    from zhike.customers import merge_models as _customer_merges  # noqa: F401
    from zhike.customers import models as _customers  # noqa: F401
    from zhike.customers import quality_models as _customer_quality  # noqa: F401
    from zhike.ingestion import models as _ingestion  # noqa: F401
    from zhike.ingestion import uploads as _import_uploads  # noqa: F401
    from zhike.knowledge import models as _knowledge  # noqa: F401
    from zhike.marketing import automation_models as _automation  # noqa: F401
    from zhike.marketing import models as _marketing  # noqa: F401
    from zhike.platform import models as _platform  # noqa: F401
    from zhike.sales import contract_models as _sales_contracts  # noqa: F401
    from zhike.sales import models as _sales  # noqa: F401
    from zhike.sales import pool_models as _sales_pools  # noqa: F401
    from zhike.sales import process_models as _sales_process  # noqa: F401
    from zhike.sales import quotas as _sales_targets  # noqa: F401
    from zhike.sales import quote_models as _sales_quotes  # noqa: F401
    from zhike.security import models as _security  # noqa: F401
    from zhike.service import models as _service  # noqa: F401

    return Base
