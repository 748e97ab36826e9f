"""All models, imported here so the metadata knows every table (see ``base`` for the map)."""

from chargeback.models.audit import AuditEntry
from chargeback.models.base import Base
from chargeback.models.catalog import Offering, RateCard, Service, SlaResult, SlaTarget
from chargeback.models.chains import ServiceDependency, ServiceDependencySnapshot
from chargeback.models.imports import BatchError, ImportBatch
from chargeback.models.ledger import Budget, SpendLine
from chargeback.models.org import BUILTIN_SERVICE_MODELS, Consumer, ServiceModel, Unit
from chargeback.models.periods import PackFile, Period
from chargeback.models.results import (
    Charge,
    CriterionResultRow,
    InternalCharge,
    JournalLine,
    Rating,
    UnitPeriodResult,
    UnitPeriodSpend,
)
from chargeback.models.runs import JobRun
from chargeback.models.scorecards import (
    AllocationRuleSet,
    CriterionDefinition,
    ScorecardFormInput,
    ScorecardVersion,
)
from chargeback.models.seals import PeriodSeal
from chargeback.models.settings import Setting
from chargeback.models.snapshots import (
    ConsumerFigures,
    ConsumerSnapshot,
    OfferingSnapshot,
    PortfolioFigures,
    ServiceSnapshot,
    UnitTreeSnapshot,
)
from chargeback.models.usage import DriverQuantity, MetricObservation, UsageLine, UsageTotal
from chargeback.models.users import (
    ApiToken,
    SignInThrottle,
    User,
    UserSession,
    user_unit_scopes,
)
from chargeback.models.variability import ServiceVariability, VariabilitySnapshot

__all__ = [
    "AllocationRuleSet", "ApiToken", "AuditEntry", "BUILTIN_SERVICE_MODELS", "Base",
    "BatchError", "Budget", "Charge", "Consumer", "ConsumerFigures", "ConsumerSnapshot",
    "CriterionDefinition", "CriterionResultRow", "DriverQuantity", "ImportBatch",
    "InternalCharge", "JobRun", "JournalLine", "MetricObservation", "Offering",
    "OfferingSnapshot", "PackFile", "Period",
    "PeriodSeal", "PortfolioFigures", "RateCard", "Rating", "ScorecardFormInput", "ScorecardVersion", "Service",
    "ServiceDependency", "ServiceDependencySnapshot", "ServiceModel", "ServiceSnapshot",
    "ServiceVariability", "Setting", "SignInThrottle", "SlaResult", "SlaTarget", "SpendLine",
    "Unit",
    "UnitPeriodResult", "UnitPeriodSpend", "UnitTreeSnapshot", "UsageLine", "UsageTotal", "User",
    "UserSession", "VariabilitySnapshot", "user_unit_scopes",
]
