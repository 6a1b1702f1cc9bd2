"""Import every model module so that ``Base.metadata`` is complete (Alembic, tests).

A package that adds models adds its module here.
"""

from lantian.leads import models as leads_models
from lantian.registry import models as registry_models
from lantian.rules import platform_models as rules_platform_models

__all__ = ["leads_models", "registry_models", "rules_platform_models"]
