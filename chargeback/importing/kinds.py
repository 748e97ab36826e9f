"""One handler per keyed import kind (and units): resolve codes, refuse what breaks a rule,
store. The line kinds, spend and usage, take the bulk path of ``lines`` instead.

A handler sees each validated row once (``accept``), and gets the accepted rows in chunks
(``store``) only while the batch is still clean, so a refused batch stops writing at its
first bad row but goes on reading to report every bad row. ``finish`` runs at the end of every
batch (units check and store their tree there; ``--replace`` deletes the older lines) and
writes nothing once the batch has an error.
"""

from __future__ import annotations

from sqlalchemy import select

from chargeback.importing.context import ImportContext
from chargeback.models import (
    Budget,
    Consumer,
    DriverQuantity,
    MetricObservation,
    Offering,
    RateCard,
    Service,
    ServiceDependency,
    ServiceModel,
    SlaResult,
    SlaTarget,
    Unit,
)
from rules.chains import dependency_cycle
from rules.vocabulary import sla_value_problem


def _text(value) -> str | None:
    return None if value is None else str(value)


class Handler:
    """Base: duplicate natural keys within the file are bad rows."""

    kind = ""
    file_key: tuple[str, ...] = ()  # natural key, as file columns; empty = lines add up

    def __init__(self, ctx: ImportContext, columns: frozenset[str] = frozenset()):
        self.ctx = ctx
        self.columns = columns  # the file's header: which optional columns it has
        self._seen: dict[tuple, int] = {}

    def accept(self, line: int, values: dict) -> dict | None:
        """A row to store, or None when the row is bad (its errors are on ``ctx``)."""
        if self.file_key and not self._first_of_key(line, values):
            return None
        return self.resolve(line, values)

    def _first_of_key(self, line: int, values: dict) -> bool:
        key = tuple(values[c] for c in self.file_key)
        first = self._seen.setdefault(key, line)
        if first != line:
            named = ", ".join(f"{c} {v}" for c, v in zip(self.file_key, key, strict=True))
            self.ctx.error(line, self.file_key[-1],
                           f"a second row for {named} (first on line {first})")
            return False
        return True

    def content_marker(self) -> bytes:
        """What the file's checksum adds for its header: nothing, unless a column's
        presence changes what the rows mean (see ``ServicesHandler``)."""
        return b""

    def resolve(self, line: int, values: dict) -> dict | None:
        raise NotImplementedError

    def store(self, rows: list[dict]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Work that needs the whole clean batch; nothing by default."""


class KeyedHandler(Handler):
    """A later batch's row replaces the stored value; the audit log keeps the old one."""

    model: type = None
    db_key: tuple[str, ...] = ()
    db_values: tuple[str, ...] = ()

    def store(self, rows: list[dict]) -> None:
        existing = self._existing(rows)
        for row in rows:
            label = row.pop("_label")
            key = tuple(row[c] for c in self.db_key)
            current = existing.get(key)
            if current is None:
                obj = self.model(**row)
                self.ctx.session.add(obj)
                existing[key] = obj
                continue
            before = {c: _text(getattr(current, c)) for c in self.db_values}
            after = {c: _text(row[c]) for c in self.db_values}
            if before != after:
                for column in self.db_values:
                    setattr(current, column, row[column])
                if hasattr(current, "batch_id"):
                    current.batch_id = row["batch_id"]
                self.ctx.audit(f"import.{self.kind}.replace", self.kind, label, before, after)
        self.ctx.session.flush()

    def _existing(self, rows: list[dict]) -> dict[tuple, object]:
        conditions = [getattr(self.model, c).in_({r[c] for r in rows}) for c in self.db_key]
        found = self.ctx.session.scalars(select(self.model).where(*conditions))
        return {tuple(getattr(o, c) for c in self.db_key): o for o in found}


class PeriodKeyed(KeyedHandler):
    """Keyed rows of a month (budgets, metrics, drivers): the month must be open (each
    row's ``resolve`` checks it, under the month's lock)."""


class UnitsHandler(Handler):
    """Units arrive in any order (a child before its parent), so they are stored at the end."""

    kind = "units"
    file_key = ("code",)

    def __init__(self, ctx, columns=frozenset()):
        super().__init__(ctx, columns)
        self.rows: dict[str, tuple[int, dict]] = {}
        self.models = set(ctx.session.scalars(select(ServiceModel.code)))

    def resolve(self, line, values):
        if values["service_model"] not in self.models:
            known = ", ".join(sorted(self.models))
            self.ctx.error(line, "service_model",
                           f"unknown service model '{values['service_model']}' (known: {known})")
            return None
        if values["parent_code"] == values["code"]:
            self.ctx.error(line, "parent_code", "a unit cannot be its own parent")
            return None
        self.rows[values["code"]] = (line, values)
        return values

    def store(self, rows):
        """Nothing yet: parents may come later in the file."""

    def finish(self):
        stored = {u.code: u for u in self.ctx.session.scalars(select(Unit))}
        parents = {code: (u.parent.code if u.parent else None) for code, u in stored.items()}
        parents.update({code: v["parent_code"] for code, (_, v) in self.rows.items()})
        if not self._tree_is_sound(parents) or self.ctx.errors:
            return
        for code in self._parents_first(parents):
            if code in self.rows:
                self._upsert(stored, *self.rows[code])
        self.ctx.session.flush()
        self.ctx._units = None

    def _tree_is_sound(self, parents: dict[str, str | None]) -> bool:
        ok = True
        for line, values in self.rows.values():
            parent = values["parent_code"]
            if parent is not None and parent not in parents:
                self.ctx.error(line, "parent_code", f"unknown unit '{parent}'")
                ok = False
        roots = sorted(code for code, parent in parents.items() if parent is None)
        for code in roots[1:] if len(roots) > 1 else []:
            if code in self.rows:
                line = self.rows[code][0]
                other = next(r for r in roots if r != code)
                self.ctx.error(line, "parent_code", f"required: the holding company already "
                               f"has a root unit '{other}'; give this unit a parent")
                ok = False
        return ok and self._no_cycles(parents)

    def _no_cycles(self, parents) -> bool:
        for code, (line, _) in self.rows.items():
            path, node = [code], parents.get(code)
            while node is not None and node not in path and node in parents:
                path.append(node)
                node = parents.get(node)
            if node is not None and node in path:
                cycle = " -> ".join(path[path.index(node):] + [node])
                self.ctx.error(line, "parent_code", f"the tree would have a cycle: {cycle}")
                return False
        return True

    @staticmethod
    def _parents_first(parents) -> list[str]:
        depth: dict[str, int] = {}

        def depth_of(code):
            if code not in depth:
                parent = parents.get(code)
                depth[code] = 0 if parent is None else depth_of(parent) + 1
            return depth[code]

        return sorted(parents, key=lambda c: (depth_of(c), c))

    FIELDS = ("name", "service_model_code", "billing_mode", "recovery_account", "head_email",
              "parent_code")

    def _upsert(self, stored: dict[str, Unit], line: int, values: dict) -> None:
        parent = stored.get(values["parent_code"]) if values["parent_code"] else None
        new = {"name": values["name"], "service_model_code": values["service_model"],
               "billing_mode": values["billing_mode"] or "chargeback",
               "recovery_account": values["recovery_account"],
               "head_email": values["head_email"], "parent_code": values["parent_code"]}
        unit = stored.get(values["code"])
        if unit is None:
            unit = Unit(code=values["code"], parent=parent,
                        **{k: v for k, v in new.items() if k != "parent_code"})
            self.ctx.session.add(unit)
            stored[unit.code] = unit
            return
        before = {f: (unit.parent.code if unit.parent else None) if f == "parent_code"
                  else getattr(unit, f) for f in self.FIELDS}
        if before != new:
            for f, value in new.items():
                if f != "parent_code":
                    setattr(unit, f, value)
            unit.parent = parent
            self.ctx.audit("import.units.replace", "units", unit.code, before, new)


class ConsumersHandler(KeyedHandler):
    kind = "consumers"
    file_key = ("code",)
    model = Consumer
    db_key = ("code",)
    db_values = ("name", "gl_account", "unit_id")

    def resolve(self, line, v):
        if not self.ctx.in_scope(line, v["unit_code"]):
            return None
        unit_id = self.ctx.lookup(line, "unit_code", self.ctx.units, v["unit_code"], "unit")
        if v["unit_code"] is not None and unit_id is None:
            return None
        return {"code": v["code"], "name": v["name"], "gl_account": v["gl_account"],
                "unit_id": unit_id, "_label": v["code"]}

    def finish(self):
        self.ctx._consumers = None


class ServicesHandler(KeyedHandler):
    """A service and, when the file has an ``owner_email`` column, its owner: a user's
    e-mail address (an unknown one is a bad row; an empty cell leaves the service without
    an owner). A file without the column leaves every owner as it is."""

    kind = "services"
    file_key = ("code",)
    model = Service
    db_key = ("code",)
    db_values = ("unit_id", "name", "uom")

    def __init__(self, ctx, columns=frozenset()):
        super().__init__(ctx, columns)
        if "owner_email" in columns:
            self.db_values = (*self.db_values, "owner_id")

    def content_marker(self) -> bytes:
        """A file with an empty owner_email column clears owners, one without it does not:
        the same rows are not the same import (files without it keep their checksum)."""
        return b"owner_email\n" if "owner_id" in self.db_values else b""

    def resolve(self, line, v):
        if not self.ctx.in_scope(line, v["unit_code"]):
            return None
        unit_id = self.ctx.lookup(line, "unit_code", self.ctx.units, v["unit_code"], "unit")
        if unit_id is None:
            return None
        row = {"code": v["code"], "unit_id": unit_id, "name": v["name"], "uom": v["uom"],
               "_label": v["code"]}
        if "owner_id" in self.db_values:
            email = v["owner_email"]
            row["owner_id"] = None if email is None else self.ctx.users.get(email.lower())
            if email is not None and row["owner_id"] is None:
                self.ctx.error(line, "owner_email", f"no user has the e-mail address "
                               f"'{email}': add the user first (Admin, Users)")
                return None
        return row

    def finish(self):
        self.ctx._services = None


class OfferingsHandler(KeyedHandler):
    """A service's packages at different levels; a later row renames one."""

    kind = "offerings"
    file_key = ("service_code", "code")
    model = Offering
    db_key = ("service_id", "code")
    db_values = ("name",)

    def resolve(self, line, v):
        found = self.ctx.service_in_scope(line, v["service_code"])
        if found is None:
            return None
        return {"service_id": found[0], "code": v["code"], "name": v["name"],
                "_label": f"{v['service_code']}/{v['code']}"}

    def finish(self):
        self.ctx._offerings = None


def offering_of(ctx: ImportContext, line: int, service: tuple[int, int], service_code: str,
                code: str) -> int | None:
    """The id of the offering ``code`` of a service, or None with an error naming its
    offerings (imported with the offerings kind)."""
    found = ctx.offerings.get((service[0], code))
    if found is None:
        known = sorted(c for sid, c in ctx.offerings if sid == service[0])
        ctx.error(line, "offering", f"unknown offering '{code}' of {service_code} (its "
                  f"offerings: {', '.join(known) or 'none yet; import offerings first'})")
    return found


def measured_sensibly(ctx: ImportContext, line: int, column: str, v: dict) -> bool:
    """A target or result its measure's name allows (a percentage from 0 to 100, a time
    not negative: ``rules.vocabulary.sla_value_problem``); otherwise an error on
    ``column``. A rating reads results as they are, so 100.001 % would read as met."""
    problem = sla_value_problem(v["measure"], v[column])
    if problem:
        ctx.error(line, column, problem)
    return problem is None


class SlaTargetsHandler(KeyedHandler):
    """An offering's service level target for a measure; a later row replaces it (the
    catalog of a closed month keeps the target its close froze)."""

    kind = "sla_targets"
    file_key = ("service_code", "offering", "measure")
    model = SlaTarget
    db_key = ("offering_id", "measure")
    db_values = ("target", "direction")

    def resolve(self, line, v):
        service = self.ctx.service_in_scope(line, v["service_code"])
        if service is None:
            return None
        offering_id = offering_of(self.ctx, line, service, v["service_code"], v["offering"])
        if offering_id is None or not measured_sensibly(self.ctx, line, "target", v):
            return None
        return {"offering_id": offering_id, "measure": v["measure"], "target": v["target"],
                "direction": v["direction"],
                "_label": f"{v['service_code']}/{v['offering']}/{v['measure']}"}


class RatesHandler(KeyedHandler):
    """A price may change only from an open month on: earlier it would re-price a closed one."""

    kind = "rates"
    file_key = ("service_code", "effective_from")
    model = RateCard
    db_key = ("service_id", "effective_from")
    db_values = ("price",)

    def __init__(self, ctx, columns=frozenset()):
        super().__init__(ctx, columns)
        rows = ctx.session.execute(select(RateCard.service_id, RateCard.effective_from,
                                          RateCard.price))
        self.prices = {(sid, eff): price for sid, eff, price in rows}

    def resolve(self, line, v):
        found = self.ctx.lookup(line, "service_code", self.ctx.services, v["service_code"],
                                "service")
        if found is None:
            return None
        key = (found[0], v["effective_from"])
        unchanged = key in self.prices and self.prices[key] == v["price"]
        frozen = None if unchanged else self.ctx.frozen_from(v["effective_from"])
        if frozen and v["effective_from"] <= frozen:
            self.ctx.error(line, "effective_from",
                           f"{v['effective_from']} is not after the last closed period "
                           f"{frozen}: a new price would change a closed period; "
                           "make it effective from an open month")
            return None
        return {"service_id": found[0], "effective_from": v["effective_from"],
                "price": v["price"], "batch_id": self.ctx.batch_id,
                "_label": f"{v['service_code']}/{v['effective_from']}"}


class BudgetHandler(PeriodKeyed):
    kind = "budget"
    file_key = ("unit_code", "period")
    model = Budget
    db_key = ("unit_id", "period")
    db_values = ("amount",)

    def resolve(self, line, v):
        if not self.ctx.in_scope(line, v["unit_code"]):
            return None
        unit_id = self.ctx.lookup(line, "unit_code", self.ctx.units, v["unit_code"], "unit")
        if unit_id is None or not self.ctx.open_period(line, v["period"]):
            return None
        return {"unit_id": unit_id, "period": v["period"], "amount": v["amount"],
                "batch_id": self.ctx.batch_id, "_label": f"{v['unit_code']}/{v['period']}"}


class MetricsHandler(PeriodKeyed):
    kind = "metrics"
    file_key = ("unit_code", "period", "measure")
    model = MetricObservation
    db_key = ("unit_id", "period", "measure")
    db_values = ("value",)

    def resolve(self, line, v):
        if not self.ctx.in_scope(line, v["unit_code"]):
            return None
        unit_id = self.ctx.lookup(line, "unit_code", self.ctx.units, v["unit_code"], "unit")
        if unit_id is None or not self.ctx.open_period(line, v["period"]):
            return None
        return {"unit_id": unit_id, "period": v["period"], "measure": v["measure"],
                "value": v["value"], "batch_id": self.ctx.batch_id,
                "_label": f"{v['unit_code']}/{v['period']}/{v['measure']}"}


class SlaResultsHandler(PeriodKeyed):
    """A month's service level result of one offering, or of the whole service when the
    ``offering`` cell is empty (stored as ``""``). The month must be open."""

    kind = "sla_results"
    file_key = ("service_code", "period", "offering", "measure")
    model = SlaResult
    db_key = ("service_id", "period", "offering", "measure")
    db_values = ("value",)

    def resolve(self, line, v):
        service = self.ctx.service_in_scope(line, v["service_code"])
        if service is None:
            return None
        offering = v["offering"] or ""
        if offering and offering_of(self.ctx, line, service, v["service_code"],
                                    offering) is None:
            return None
        if not measured_sensibly(self.ctx, line, "value", v):
            return None
        if not self.ctx.open_period(line, v["period"]):
            return None
        return {"service_id": service[0], "period": v["period"], "offering": offering,
                "measure": v["measure"], "value": v["value"], "batch_id": self.ctx.batch_id,
                "_label": f"{v['service_code']}/{v['period']}/{offering or '*'}/"
                          f"{v['measure']}"}


class DriversHandler(PeriodKeyed):
    kind = "drivers"
    file_key = ("consumer_code", "period", "driver")
    model = DriverQuantity
    db_key = ("consumer_id", "period", "driver")
    db_values = ("quantity",)

    def resolve(self, line, v):
        consumer_id = self.ctx.lookup(line, "consumer_code", self.ctx.consumers,
                                      v["consumer_code"], "consumer")
        if consumer_id is None or not self.ctx.open_period(line, v["period"]):
            return None
        return {"consumer_id": consumer_id, "period": v["period"], "driver": v["driver"],
                "quantity": v["quantity"], "batch_id": self.ctx.batch_id,
                "_label": f"{v['consumer_code']}/{v['period']}/{v['driver']}"}


class DependenciesHandler(Handler):
    """A file states, for each service it names, every service of another unit it depends
    on: the stored dependencies of those services are replaced by the file's (a row with
    an empty ``depends_on`` says the service depends on nothing). Services the file does
    not name keep theirs. Stored at the end, once the whole graph is known to have no
    cycle (the cascade's rule: money cannot go round in a circle)."""

    kind = "dependencies"
    file_key = ("service_code", "depends_on")

    def __init__(self, ctx, columns=frozenset()):
        super().__init__(ctx, columns)
        self.named: dict[str, tuple[int, set[str]]] = {}  # service -> (first line, upstream)
        self.lines: dict[tuple[str, str], int] = {}  # (service, upstream) -> line
        self.unit_codes = {uid: code for code, uid in ctx.units.items()}

    def resolve(self, line, v):
        service, upstream = v["service_code"], v["depends_on"]
        found = self.ctx.lookup(line, "service_code", self.ctx.services, service, "service")
        if found is None or not self._in_scope(line, service, found[1]):
            return None
        first, upstreams = self.named.setdefault(service, (line, set()))
        if upstream is None or "" in upstreams:
            return self._nothing_and_something(line, service, first, upstream, upstreams)
        other = self.ctx.lookup(line, "depends_on", self.ctx.services, upstream, "service")
        if other is None:
            return None
        if upstream == service:
            self.ctx.error(line, "depends_on", f"{service} cannot depend on itself")
            return None
        if other[1] == found[1]:
            unit = self.unit_codes.get(found[1], "?")
            self.ctx.error(line, "depends_on", (
                f"{service} and {upstream} are both services of {unit}: a service depends "
                "on other units' services (only those reach it through an internal charge)"))
            return None
        upstreams.add(upstream)
        self.lines[(service, upstream)] = line
        return v

    def _nothing_and_something(self, line, service, first, upstream, upstreams) -> dict | None:
        """An empty ``depends_on`` (nothing) must be the service's only row."""
        if upstream is None and not upstreams:
            upstreams.add("")
            return {"service_code": service, "depends_on": None}
        self.ctx.error(line, "depends_on", (
            f"{service} is named on line {first} too: a service depends on nothing (one row, "
            "depends_on empty) or on the services its rows name, not both"))
        return None

    def _in_scope(self, line: int, service: str, unit_id: int) -> bool:
        unit = self.unit_codes.get(unit_id)
        allowed = self.ctx.allowed_units
        if allowed is None or unit in allowed:
            return True
        mine = ", ".join(sorted(allowed)) or "none"
        self.ctx.error(line, "service_code", (
            f"{service} is a service of {unit}, not one of your units ({mine}); a unit head "
            "states the dependencies of their own units' services"))
        return False

    def store(self, rows):
        """Nothing yet: the graph is checked for cycles once the whole file is read."""

    def finish(self):
        if self.ctx.errors or not self.named:
            return
        session = self.ctx.session
        ids = {code: sid for code, (sid, _) in self.ctx.services.items()}
        codes = {sid: code for code, sid in ids.items()}
        stored: dict[str, set[str]] = {}
        rows = list(session.scalars(select(ServiceDependency)))
        for row in rows:
            stored.setdefault(codes[row.service_id], set()).add(codes[row.upstream_id])
        wanted = {service: upstreams - {""} for service, (_, upstreams) in self.named.items()}
        graph = {**stored, **wanted}
        cycle = dependency_cycle(graph)
        if cycle:
            self._cycle_error(cycle)
            return
        for row in rows:
            if codes[row.service_id] in wanted:
                session.delete(row)
        session.flush()
        for service, upstreams in sorted(wanted.items()):
            session.add_all(ServiceDependency(batch_id=self.ctx.batch_id, service_id=ids[service],
                                              upstream_id=ids[code])
                            for code in sorted(upstreams))
            before = sorted(stored.get(service, ()))
            if before != sorted(upstreams):
                self.ctx.audit("import.dependencies.replace", "dependencies", service,
                               {"depends_on": before}, {"depends_on": sorted(upstreams)})
        session.flush()

    def _cycle_error(self, cycle: list[str]) -> None:
        """On the first line of the file that is a link of the cycle."""
        links = {(cycle[i + 1], cycle[i]) for i in range(len(cycle) - 1)}
        line = min(n for key, n in self.lines.items() if key in links)
        self.ctx.error(line, "depends_on",
                       "service dependencies would form a cycle: " + " -> ".join(cycle))


HANDLERS: dict[str, type[Handler]] = {
    h.kind: h
    for h in (UnitsHandler, ConsumersHandler, ServicesHandler, OfferingsHandler,
              SlaTargetsHandler, RatesHandler, BudgetHandler, MetricsHandler, SlaResultsHandler,
              DriversHandler, DependenciesHandler)
}

__all__ = ["HANDLERS", "Handler"]
