"""The scorecard editor: a unit head writes the unit's own definition of success.

``/units/<code>/scorecard`` shows the approved version in force, the history of versions
and, for those who may edit, the draft as a form. The form works without JavaScript: every
button (add, remove, move, add a band, start from the template, preview, save, submit) posts
the whole form with ``action`` naming what to do, and the server answers with the form
changed. Only "Save draft" and "Submit for approval" store anything, and both validate with
``services.scorecards.check``, the very rules of the file import; each error is put back
next to the field it names.

Field names are the scorecard file's: ``effective_from``, ``criteria-<i>-<field>`` and
``criteria-<i>-bands-<j>-at|score``, numbered from 0 in the order shown.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from chargeback.access import ALL_ROLES, may_edit_scorecard
from chargeback.extensions import db
from chargeback.refusals import Problem, Refused
from chargeback.services import notify, scorecard_forms, scorecards
from chargeback.services.measures import choices as measure_choices
from chargeback.services.periods import first_changeable
from chargeback.services.queries import scorecards as versions
from chargeback.services.scorecard_preview import last_closed, preview
from chargeback.services.settings import currency
from chargeback.unit_of_work import attempt
from chargeback.web.guards import page_number, roles, unit_or_403
from rules.measures import describe_measure
from rules.scoring import MAX_BANDS, scorecard_to_dict
from rules.templates import template_for

bp = Blueprint("scorecard_editor", __name__, template_folder="templates")

SOURCE = "scorecard form"
PER_PAGE = 50
CRITERION_FIELDS = ("key", "label", "expr", "direction", "method", "target", "floor", "weight")
_FIELD = re.compile(r"criteria-(\d{1,3})-(" + "|".join(CRITERION_FIELDS) + r")\Z")
_BAND = re.compile(r"criteria-(\d{1,3})-bands-(\d{1,3})-(at|score)\Z")
_ROW_ACTION = re.compile(r"(remove|up|down|add-band)-(\d{1,3})\Z")
_BAND_ACTION = re.compile(r"remove-band-(\d{1,3})-(\d{1,3})\Z")
_BUILD_ACTION = re.compile(r"build-(\d{1,3})\Z")


def max_criteria() -> int:
    """``CHARGEBACK_MAX_CRITERIA``: the criteria a scorecard may have."""
    return current_app.config["CHARGEBACK_MAX_CRITERIA"]


# --- the form's state -----------------------------------------------------------------


@dataclass
class BandRow:
    at: str = ""
    score: str = ""

    @property
    def blank(self) -> bool:
        return not (self.at or self.score)


@dataclass
class CriterionRow:
    """One criterion as typed: text, so what the head wrote comes back exactly."""

    key: str = ""
    label: str = ""
    expr: str = ""
    direction: str = "higher"
    method: str = "linear"
    target: str = ""
    floor: str = ""
    weight: str = "1"
    bands: list[BandRow] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data) -> CriterionRow:
        """From a scorecard file's criterion (a template, a stored version): numbers as text."""
        if not isinstance(data, dict):
            return cls()
        values = {name: _text(data.get(name)) for name in CRITERION_FIELDS
                  if data.get(name) is not None}
        bands = data.get("bands") if isinstance(data.get("bands"), list) else []
        return cls(**values, bands=[BandRow(at=_text(b.get("at")), score=_text(b.get("score")))
                                    for b in bands if isinstance(b, dict)])

    def to_dict(self) -> dict:
        """The scorecard file's criterion: empty target or floor left out, as a file would."""
        data = {name: getattr(self, name) for name in
                ("key", "label", "expr", "direction", "method", "weight")}
        for name in ("target", "floor"):
            if getattr(self, name):
                data[name] = getattr(self, name)
        if self.bands:
            data["bands"] = [{"at": b.at, "score": b.score} for b in self.bands]
        return data


@dataclass
class DraftForm:
    effective_from: str = ""
    criteria: list[CriterionRow] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_request(cls, form) -> DraftForm:
        """The posted form; blank band rows dropped, at most ``CHARGEBACK_MAX_CRITERIA``
        criteria."""
        rows: dict[int, dict] = {}
        bands: dict[int, dict[int, BandRow]] = {}
        for name, value in form.items():
            if found := _FIELD.match(name):
                rows.setdefault(int(found[1]), {})[found[2]] = value.strip()
            elif found := _BAND.match(name):
                band = bands.setdefault(int(found[1]), {}).setdefault(int(found[2]), BandRow())
                setattr(band, found[3], value.strip())
        draft = cls(effective_from=(form.get("effective_from") or "").strip())
        most = max_criteria()
        for index in sorted(rows)[:most]:
            kept = [b for _, b in sorted(bands.get(index, {}).items()) if not b.blank]
            draft.criteria.append(CriterionRow(**rows[index], bands=kept[:MAX_BANDS]))
        if len(rows) > most:
            draft.errors["criteria"] = [f"at most {most} criteria"]
        return draft

    @classmethod
    def restore(cls, data: dict) -> DraftForm:
        """The form as ``asdict`` kept it (``services.scorecard_forms``): fields and marks."""
        rows = [CriterionRow(**{**row, "bands": [BandRow(**b) for b in row.get("bands", [])]})
                for row in data.get("criteria", [])]
        return cls(effective_from=data.get("effective_from", ""), criteria=rows,
                   errors=data.get("errors", {}), warnings=data.get("warnings", []))

    @classmethod
    def from_scorecard(cls, data: dict) -> DraftForm:
        return cls(effective_from=_text(data.get("effective_from")),
                   criteria=[CriterionRow.from_dict(c) for c in data.get("criteria") or []])

    def to_data(self, unit_code: str) -> dict:
        return {"unit": unit_code, "effective_from": self.effective_from,
                "criteria": [c.to_dict() for c in self.criteria]}

    def apply(self, action: str) -> bool:
        """Add, remove or move a criterion, add or remove a band; False if not one of these."""
        if action == "refresh":  # Enter in a text field: redraw, change nothing
            return True
        if action == "add":
            if len(self.criteria) < max_criteria():
                self.criteria.append(CriterionRow())
            return True
        if found := _BAND_ACTION.match(action):
            row, band = int(found[1]), int(found[2])
            if row < len(self.criteria) and band < len(self.criteria[row].bands):
                del self.criteria[row].bands[band]
            return True
        if found := _ROW_ACTION.match(action):
            self._row_action(found[1], int(found[2]))
            return True
        return False

    def _row_action(self, verb: str, index: int) -> None:
        rows = self.criteria
        if index >= len(rows):
            return  # the form changed under the button: nothing to do
        if verb == "remove":
            del rows[index]
        elif verb == "up" and index > 0:
            rows[index - 1], rows[index] = rows[index], rows[index - 1]
        elif verb == "down" and index + 1 < len(rows):
            rows[index + 1], rows[index] = rows[index], rows[index + 1]
        elif verb == "add-band" and len(rows[index].bands) < MAX_BANDS:
            rows[index].bands.append(BandRow())

    def attach(self, errors: list[Problem], warnings: list[Problem]) -> None:
        """Put each problem next to the field it names (criterion key or position, field)."""
        for error in errors:
            self._place(error, warning=False)
        for warning in warnings:
            self._place(warning, warning=True)

    def _place(self, problem: Problem, *, warning: bool) -> None:
        index = self._row_of(problem)
        name = _form_field(problem) if index is not None else None
        if index is None and problem.field in ("effective_from", "criteria") and not warning:
            self.errors.setdefault(problem.field, []).append(problem.message)
        elif name is None:  # no place for it next to a field: say it above the form
            target = self.warnings if warning else self.errors.setdefault("general", [])
            target.append(str(problem))
        else:
            row = self.criteria[index]
            (row.warnings if warning else row.errors).setdefault(name, []).append(
                problem.message)

    def _row_of(self, problem: Problem) -> int | None:
        """The form row a problem names: by its position in the posted scorecard (the
        form's order), else by the criterion's key; None when it names no criterion."""
        if problem.position is not None and 0 < problem.position <= len(self.criteria):
            return problem.position - 1
        if problem.key is None:
            return None
        return next((i for i, c in enumerate(self.criteria) if c.key == problem.key), None)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(c.errors for c in self.criteria)


def _form_field(problem: Problem) -> str | None:
    """The form's name for a problem's field (band N's "at" is "bands-<N-1>-at"), or None
    when the form has no such field (an unknown field of a file, say)."""
    if problem.band is not None and problem.field in ("at", "score"):
        return f"bands-{problem.band - 1}-{problem.field}"
    if problem.field in CRITERION_FIELDS:
        return problem.field
    if problem.field == "bands" or problem.band is not None:
        return "bands"
    return None


def _text(value) -> str:
    """A number or text from a scorecard structure as the form shows it (no exponent)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return _plain(value)
    return str(value)


def _plain(value: Decimal) -> str:
    """4.500000 -> "4.5", 100.000000 -> "100"."""
    return format(value.normalize(), "f")


def version_form(version) -> DraftForm:
    """A stored version as the form shows it: 4.500000 comes back as 4.5."""
    return DraftForm(effective_from=version.effective_from, criteria=[
        CriterionRow(key=c.key, label=c.label, expr=c.expr, direction=c.direction,
                     method=c.method, target=_text(c.target), floor=_text(c.floor),
                     weight=_text(c.weight),
                     bands=[BandRow(at=_text(b.get("at")), score=_text(b.get("score")))
                            for b in c.bands or ()])
        for c in version.criteria])


# --- the page ---------------------------------------------------------------------------


@bp.route("/units/<code>/scorecard", methods=["GET", "POST"])
@roles(*ALL_ROLES)
def edit(code: str):
    """The scorecard of a unit: in force, history, and the draft form for its editors.

    A POST never answers with the page: it redirects, to the page itself after a save, or to
    ``?form=<token>`` showing the form as the button left it (post/redirect/get)."""
    unit = unit_or_403(code)
    if request.method == "POST":
        if not _may_edit(unit):
            abort(403)
        return _act(unit)
    form, previews = None, None
    draft = scorecards.pending(db.session, unit.id)
    if _may_edit(unit) and (draft is None or draft.status == "draft"):
        form, previews = _kept_form(unit)
        if form is None:
            form = _stored_form(unit, draft)
    return _page(unit, form, previews)


def _kept_form(unit):
    """(form, previews) kept by the POST that redirected here, or (None, None)."""
    token = request.args.get("form")
    if not token:
        return None, None
    found = scorecard_forms.kept(db.session, token, unit.id, current_user.id)
    if found is None:
        flash("That form is no longer kept (a day has passed, or it was not yours): this is "
              "the stored draft.", "warning")
        return None, None
    mode, data = found
    form = DraftForm.restore(data)
    if mode == "preview":
        scorecard = _checked(unit, DraftForm.restore(data))
        if scorecard is not None:
            return form, preview(db.session, unit, scorecard)
    return form, None


def _show(unit, form: DraftForm, mode: str = "edit", anchor: str = "draft"):
    """Keep the form as it should be shown next and redirect to the page that shows it."""
    token = scorecard_forms.keep(db.session, unit.id, current_user.id, mode, asdict(form))
    db.session.commit()
    return redirect(url_for(".edit", code=unit.code, form=token, _anchor=anchor))


def _may_edit(unit) -> bool:
    return may_edit_scorecard(db.session, current_user, unit)


def _stored_form(unit, draft) -> DraftForm:
    """The open draft with its current warnings and errors, or an empty form."""
    if draft is None:
        return DraftForm(effective_from=first_changeable(db.session))
    form = version_form(draft)
    _checked(unit, form)
    return form


def _checked(unit, form: DraftForm):
    """The form's scorecard, checked as a save would check it (without waiting for a
    close: nothing is stored), with its errors and warnings placed on the form; None when
    it has errors."""
    try:
        scorecard, _, warnings = scorecards.check(db.session, form.to_data(unit.code), SOURCE,
                                                  lock=False, max_criteria=max_criteria())
    except Refused as refusal:
        form.attach(refusal.problems, refusal.warnings)
        return None
    form.attach([], warnings)
    return scorecard


def _act(unit):
    """One press of a button of the draft form."""
    waiting = scorecards.pending(db.session, unit.id)
    if waiting is not None and waiting.status == "submitted":
        flash(f"Version {waiting.version} waits for central IT's decision: it cannot be "
              "changed until it is approved or sent back.", "warning")
        return redirect(url_for(".edit", code=unit.code))
    form = DraftForm.from_request(request.form)
    action = request.form.get("action", "")
    if action in ("save", "submit"):
        return _store(unit, form, submit=action == "submit")
    if action == "preview":
        return _preview(unit, form)
    if action in ("template", "current"):
        return _start_from(unit, form, action)
    if found := _BUILD_ACTION.match(action):
        return _build(unit, form, int(found[1]))
    if not form.apply(action):
        flash("That button is not known: nothing was changed.", "danger")
        return _page(unit, form), 400
    return _show(unit, form, anchor=_anchor_of(action, len(form.criteria)))


def _anchor_of(action: str, rows: int) -> str:
    """Where the page should open after a button: the row it changed, else the form."""
    if found := _ROW_ACTION.match(action):
        index = int(found[2])
    elif found := _BAND_ACTION.match(action):
        index = int(found[1])
    else:
        index = rows - 1 if action == "add" else None
    return f"criterion-{index}" if index is not None and 0 <= index < rows else "draft"


def _store(unit, form: DraftForm, *, submit: bool):
    """Save the draft (and submit it): validated like a file, all or nothing."""
    actor = current_user.email
    if form.has_errors:  # too many criteria: refused before the rules look at it
        return _refused(unit, form, [], [])

    def save():
        result = scorecards.save_draft(db.session, form.to_data(unit.code), actor, SOURCE,
                                       max_criteria=max_criteria())
        if submit:
            scorecards.submit(db.session, result.version, actor)
        return result

    result, refusal = attempt(save)
    if refusal:
        return _refused(unit, form, refusal.problems, refusal.warnings)
    version = result.version
    for warning in result.warnings:
        flash(f"Warning: {warning}", "warning")
    if submit:
        db.session.commit()  # the mail says it is submitted: it must be
        notify.scorecard_step(db.session, version, unit, "submitted", current_app.config)
        flash(f"Version {version.version} submitted: central IT will approve it or send it "
              "back with a comment.", "success")
    else:
        flash(f"Draft saved as version {version.version}. Preview it, then submit it for "
              "approval.", "success")
    return redirect(url_for(".edit", code=unit.code))


def _refused(unit, form: DraftForm, errors, warnings):
    form.attach(errors, warnings)
    flash("Nothing was saved: correct the fields marked below.", "danger")
    return _show(unit, form)


def _preview(unit, form: DraftForm):
    """The form scored over the last closed months beside the stored ratings."""
    scorecard = _checked(unit, form)
    if scorecard is None or form.has_errors:
        flash("The preview needs a valid scorecard: correct the fields marked below.", "danger")
        return _show(unit, form)
    return _show(unit, form, "preview", anchor="preview")


def _build(unit, form: DraftForm, index: int):
    """The expression from the measures picked (the builder without JavaScript): a measure,
    optionally "per" a second one."""
    names = {m.name for m in measure_choices(db.session, unit.id)}
    measure = request.form.get(f"criteria-{index}-measure", "")
    per = request.form.get(f"criteria-{index}-per", "")
    if index >= len(form.criteria) or measure not in names or (per and per not in names):
        flash("Pick a measure of this unit first.", "warning")
        return _show(unit, form, anchor=f"criterion-{index}")
    form.criteria[index].expr = expression_of(measure, per)
    return _show(unit, form, anchor=f"criterion-{index}")


def expression_of(measure: str, per: str = "") -> str:
    """The builder's expression: ``measure`` or ``measure / per`` (the JavaScript builds the
    same text in the browser)."""
    return f"{measure} / {per}" if per else measure


@bp.route("/units/<code>/scorecard/check-expression", methods=["POST"])
@roles(*ALL_ROLES)
def check_expression(code: str):
    """An expression checked as it is typed: the very check a save makes, on a criterion
    that is right in every other field, so only what it says of the expression is kept.
    JSON: ``{"ok", "errors", "warnings"}``; CSRF token in the form or the X-CSRFToken header."""
    unit = unit_or_403(code)
    if not _may_edit(unit):
        abort(403)
    expr = request.form.get("expr", "")
    criterion = {"key": "expr", "label": "expr", "expr": expr, "direction": "higher",
                 "method": "binary", "target": "1", "weight": "1"}
    data = {"unit": unit.code, "effective_from": first_changeable(db.session),
            "criteria": [criterion]}
    try:
        _, _, warnings = scorecards.check(db.session, data, SOURCE, lock=False,
                                          max_criteria=max_criteria())
        errors = []
    except Refused as refusal:
        errors, warnings = refusal.problems, refusal.warnings
    said = [p.message for p in errors if p.field == "expr"]
    return jsonify(ok=not said, errors=said,
                   warnings=[p.message for p in warnings if p.field == "expr"])


def _start_from(unit, form: DraftForm, source: str):
    """Replace the form's criteria with the template's or the approved version's."""
    if source == "template":
        criteria = template_criteria(unit)
        if criteria is None:
            flash(f"The service model {unit.service_model_code} has no template: add "
                  "criteria by hand.", "warning")
            return _show(unit, form)
        what = f"the {unit.service_model_code.replace('_', ' ')} template"
    else:
        version = scorecards.current(db.session, unit.id)
        if version is None:
            flash("There is no approved version yet: start from the template.", "warning")
            return _show(unit, form)
        criteria = version_form(version).criteria
        what = f"version {version.version}"
    form.criteria = criteria
    flash(f"Started from {what}: edit it, then Save draft (nothing is stored until then).",
          "info")
    return _show(unit, form)


@dataclass(frozen=True)
class MeasureRow:
    """A measure as the builder offers it: name, what it is, its unit, its latest value."""

    name: str
    description: str
    unit_of_measure: str
    value: Decimal | None
    period: str | None


def _measures(session, unit) -> list[MeasureRow]:
    money = currency(session)
    return [MeasureRow(m.name, *describe_measure(m.name, money), m.value, m.period)
            for m in measure_choices(session, unit.id)]


def template_criteria(unit) -> list[CriterionRow] | None:
    """The starter criteria: the holding's own template for its model, else the built-in."""
    model = unit.service_model
    custom = model.template if model is not None else None
    if isinstance(custom, dict):
        return [CriterionRow.from_dict(c) for c in custom.get("criteria") or []]
    if isinstance(custom, list):
        return [CriterionRow.from_dict(c) for c in custom]
    built_in = template_for(unit.service_model_code, unit=unit.code)
    if built_in is None:
        return None
    return DraftForm.from_scorecard(scorecard_to_dict(built_in)).criteria


def _page(unit, form: DraftForm | None, previews=None):
    """The page; a preview is shown first, above the form, so its result is what one sees."""
    session = db.session
    draft = scorecards.pending(session, unit.id)
    current = scorecards.current(session, unit.id)
    history = versions.history(session, unit.id, page_number(), PER_PAGE)
    return render_template(
        "scorecards/edit.html", unit=unit, form=form, draft=draft, current=current,
        editable=_may_edit(unit), history=history.items, page=history.number,
        pages=history.pages, measures=_measures(session, unit),
        next_period=first_changeable(session), previews=previews,
        closed=last_closed(session), has_template=template_criteria(unit) is not None)
