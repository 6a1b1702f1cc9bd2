"""Import every model module so that ``Base.metadata`` is complete (Alembic, tests).

A package that adds models adds its module here.
"""

from lantian.assist.library import models as library_models
from lantian.assist.questions import models as assist_question_models
from lantian.assist.rectification import models as assist_rectification_models
from lantian.assist.selfchecks import models as assist_selfcheck_models
from lantian.assist.surveys import models as assist_survey_models
from lantian.assist.training import models as training_models
from lantian.auth import models as auth_models
from lantian.enforcement import models as enforcement_models
from lantian.leads import models as leads_models
from lantian.notify import models as notify_models
from lantian.qc import models as qc_models
from lantian.registry import models as registry_models
from lantian.reports import models as reports_models
from lantian.rules import platform_models as rules_platform_models
from lantian.supervision.campaigns import models as supervision_campaign_models
from lantian.supervision.complaints import models as supervision_complaint_models
from lantian.supervision.grades import models as supervision_grade_models
from lantian.supervision.hazards import models as supervision_hazard_models
from lantian.supervision.inspectors import models as supervision_inspector_models
from lantian.supervision.listing import models as supervision_listing_models
from lantian.supervision.plans import models as supervision_plan_models
from lantian.supervision.visits import models as supervision_visit_models
from lantian.workflow import dispatch_models as workflow_dispatch_models
from lantian.workflow import models as workflow_models

__all__ = [
    "assist_question_models",
    "assist_rectification_models",
    "assist_selfcheck_models",
    "assist_survey_models",
    "auth_models",
    "enforcement_models",
    "leads_models",
    "library_models",
    "notify_models",
    "qc_models",
    "registry_models",
    "reports_models",
    "rules_platform_models",
    "supervision_campaign_models",
    "supervision_complaint_models",
    "supervision_grade_models",
    "supervision_hazard_models",
    "supervision_inspector_models",
    "supervision_listing_models",
    "supervision_plan_models",
    "supervision_visit_models",
    "training_models",
    "workflow_dispatch_models",
    "workflow_models",
]
