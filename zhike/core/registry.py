"""Import every model module so that ``Base.metadata`` knows all tables."""

from __future__ import annotations

from zhike.core.db import Base


def load_models() -> type[Base]:
    from zhike.ai.llm import models as _llm  # noqa: F401
    from zhike.ai.models import models as _ai_models  # noqa: F401
    from zhike.audit import models as _audit  # noqa: F401
    from zhike.customers import models as _customers  # noqa: F401
    from zhike.ingestion import models as _ingestion  # noqa: F401
    from zhike.knowledge import models as _knowledge  # noqa: F401
    from zhike.marketing import models as _marketing  # noqa: F401
    from zhike.platform import models as _platform  # noqa: F401
    from zhike.sales import models as _sales  # noqa: F401
    from zhike.security import models as _security  # noqa: F401
    from zhike.service import models as _service  # noqa: F401

    return Base
