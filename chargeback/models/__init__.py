"""All models, imported here so the metadata knows every table (see ``base`` for the map)."""

from chargeback.models.audit import AuditEntry
from chargeback.models.base import Base
from chargeback.models.catalog import RateCard, Service
from chargeback.models.imports import ImportBatch
from chargeback.models.ledger import Budget, SpendLine
from chargeback.models.org import (
    BUILTIN_SERVICE_MODELS,
    Consumer,
    ServiceModel,
    Unit,
    UnitTreeSnapshot,
)
from chargeback.models.periods import PackFile, Period
from chargeback.models.results import (
    Charge,
    CriterionResultRow,
    JournalLine,
    Rating,
    UnitPeriodResult,
)
from chargeback.models.runs import JobRun
from chargeback.models.scorecards import AllocationRuleSet, CriterionDefinition, ScorecardVersion
from chargeback.models.settings import Setting
from chargeback.models.usage import DriverQuantity, MetricObservation, UsageLine
from chargeback.models.users import ApiToken, User, user_unit_scopes

__all__ = [
    "AllocationRuleSet", "ApiToken", "AuditEntry", "BUILTIN_SERVICE_MODELS",
    "Base", "Budget", "Charge", "Consumer", "CriterionDefinition", "CriterionResultRow",
    "DriverQuantity", "ImportBatch", "JobRun", "JournalLine",
    "MetricObservation", "PackFile", "Period", "RateCard", "Rating",
    "ScorecardVersion", "Service", "ServiceModel", "Setting", "SpendLine", "Unit",
    "UnitPeriodResult", "UnitTreeSnapshot", "UsageLine", "User", "user_unit_scopes",
]
