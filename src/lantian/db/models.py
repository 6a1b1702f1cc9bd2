"""Import every model module so that ``Base.metadata`` is complete (Alembic, tests).

A package that adds models adds its module here.
"""

from lantian.auth import models as auth_models
from lantian.enforcement import models as enforcement_models
from lantian.leads import models as leads_models
from lantian.registry import models as registry_models
from lantian.rules import platform_models as rules_platform_models
from lantian.supervision.hazards import models as supervision_hazard_models
from lantian.supervision.inspectors import models as supervision_inspector_models
from lantian.supervision.plans import models as supervision_plan_models
from lantian.workflow import models as workflow_models

__all__ = [
    "auth_models",
    "enforcement_models",
    "leads_models",
    "registry_models",
    "rules_platform_models",
    "supervision_hazard_models",
    "supervision_inspector_models",
    "supervision_plan_models",
    "workflow_models",
]
