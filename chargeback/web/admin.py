"""Administration: people (admin only), the unit tree, service models and holding settings.

Central IT manages units, service models, band thresholds and the currency; only an admin
manages users. Every change goes through a service verb that writes the audit log; the view
commits once, or rolls back and shows the form again with the reason next to it.
A generated password is shown once on the answer page, never flashed (a flash would sit in
the session cookie).
"""

from __future__ import annotations

import json

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from chargeback.access import ADMIN, MANAGE
from chargeback.extensions import db
from chargeback.services import settings as holding
from chargeback.services import two_factor, units_admin
from chargeback.services.queries import listing, people
from chargeback.services.queries import tree as units_tree
from chargeback.services.units_admin import UnitFields
from chargeback.services.users import (
    MIN_PASSWORD,
    create_user,
    generate_password,
    set_password,
    update_user,
)
from chargeback.unit_of_work import attempt
from chargeback.vocabulary import ROLES
from chargeback.web.guards import roles
from rules.scoring import scorecard_to_dict
from rules.templates import template_for
from rules.vocabulary import BILLING_MODES, MONTH_NAMES

bp = Blueprint("admin", __name__, template_folder="templates")

def _attempt(action):
    """Run one service call: (its result, None), or (None, the reasons it was refused,
    with all it did undone). The request commits once, as one unit of work."""
    result, refusal = attempt(action)
    return result, refusal.messages if refusal else None


def _hash_method() -> str:
    return current_app.config.get("CHARGEBACK_PASSWORD_HASH", "scrypt")


@bp.get("/admin")
@roles(*MANAGE)
def index():
    active, retired = units_tree.unit_counts(db.session)
    counts = {"users": people.count(db.session), "units": active, "retired": retired,
              "models": len(units_tree.service_models(db.session))}
    return render_template("admin/index.html", counts=counts,
                           bands=holding.thresholds(db.session), currency=_currency())


def _currency() -> str:
    return holding.currency(db.session, current_app.config["CHARGEBACK_CURRENCY"])


# --- users (admin only) -------------------------------------------------------------------


def _unit_choices() -> list[SelectChoice]:
    """Every unit, retired ones last, so saving a user never drops a scope it cannot show."""
    active = [SelectChoice(p.unit.code, f"{p.unit.code} · {p.unit.name}")
              for p in units_tree.ordered(db.session, active=True)]
    return active + [SelectChoice(p.unit.code, f"{p.unit.code} · {p.unit.name} (retired)")
                     for p in _retired()]


def _retired():
    """Retired units by code, each with its depth in the whole tree."""
    return sorted(units_tree.ordered(db.session, active=False), key=lambda p: p.unit.code)


class UserForm(FlaskForm):
    role = SelectField("Role", choices=[SelectChoice(r, r.replace("_", " ")) for r in ROLES])
    units = SelectMultipleField("Units (a unit head sees these and every unit below them)",
                                validate_choice=False)


class NewUserForm(UserForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField(f"Password (at least {MIN_PASSWORD} characters; leave empty to "
                             "generate one, shown once)", validators=[Optional(),
                                                                      Length(max=200)])


class PasswordForm(FlaskForm):
    password = PasswordField("New password (leave empty to generate one, shown once)",
                             validators=[Optional(), Length(max=200)])


def _user_or_404(user_id: int):
    user = people.user(db.session, user_id)
    if user is None:
        abort(404)
    return user


def _shown_once(user, password: str, what: str):
    """The one page that shows a generated password; never cached, never flashed."""
    response = current_app.make_response(render_template(
        "admin/password_shown.html", user=user, password=password, what=what))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/admin/users")
@roles(*ADMIN)
def users():
    asked = listing.parse(people.LIST, request.args)
    return render_template("admin/users.html", page=people.page(db.session, asked),
                           spec=people.LIST, asked=asked,
                           two_step_required=two_factor.required(db.session))


@bp.post("/admin/users/two-step")
@roles(*ADMIN)
def two_step_required():
    """Require (or no longer require) two-step sign-in of admins and central IT."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    required = request.form.get("required") == "1"
    two_factor.set_required(db.session, required, current_user.email)
    flash("Two-step sign-in is now required for admins and central IT: who has not set it "
          "up is asked to at their next page." if required else
          "Two-step sign-in is now optional for every role.", "success")
    return redirect(url_for("admin.users"))


@bp.post("/admin/users/<int(max=2147483647):user_id>/two-step/remove")
@roles(*ADMIN)
def user_two_step_remove(user_id: int):
    """Remove a user's second step (a lost phone): they set it up again."""
    user = _user_or_404(user_id)
    if not FlaskForm().validate_on_submit():
        abort(400)
    two_factor.turn_off(db.session, user, current_user.email, by_admin=True)
    flash(f"{user.email}: two-step sign-in removed.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles(*ADMIN)
def user_new():
    form = NewUserForm()
    form.units.choices = _unit_choices()
    errors = None
    if form.validate_on_submit():
        password = form.password.data or generate_password(form.email.data or "")
        user, errors = _attempt(lambda: create_user(
            db.session, form.email.data, form.role.data, password, current_user.email,
            form.units.data, hash_method=_hash_method()))
        if errors is None:
            if not form.password.data:
                return _shown_once(user, password, "created")
            flash(f"User {user.email} created as {user.role}.", "success")
            return redirect(url_for("admin.users"))
    status = 409 if errors else 400 if form.is_submitted() else 200
    return render_template("admin/user_new.html", form=form, errors=errors), status


def _user_page(user, form: UserForm | None = None, errors=None,
               password_form: PasswordForm | None = None, status: int = 200):
    if form is None:
        form = UserForm(role=user.role, units=[u.code for u in user.units])
    form.units.choices = _unit_choices()
    return render_template("admin/user_edit.html", user=user, form=form, errors=errors,
                           password_form=password_form or PasswordForm(formdata=None),
                           is_self=user.id == current_user.id), status


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@roles(*ADMIN)
def user_edit(user_id: int):
    user = _user_or_404(user_id)
    form = UserForm()
    if not form.is_submitted():
        return _user_page(user)
    form.units.choices = _unit_choices()
    if not form.validate():
        return _user_page(user, form, status=400)
    if user.id == current_user.id and form.role.data != user.role:
        return _user_page(user, form, ["You cannot change your own role: ask another admin."],
                          status=409)
    _, errors = _attempt(lambda: update_user(
        db.session, user, current_user.email, role=form.role.data, unit_codes=form.units.data))
    if errors:
        return _user_page(_user_or_404(user_id), form, errors, status=409)
    flash(f"{user.email}: role and units saved.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/password")
@roles(*ADMIN)
def user_password(user_id: int):
    user = _user_or_404(user_id)
    form = PasswordForm()
    if not form.validate_on_submit():
        return _user_page(user, password_form=form, status=400)
    password = form.password.data or generate_password(user.email)
    own = session.get("sid") if user.id == current_user.id else None
    _, errors = _attempt(lambda: set_password(db.session, user, password, current_user.email,
                                              hash_method=_hash_method(), keep_session=own,
                                              reason="set by an admin"))
    if errors:
        form.password.errors = list(errors)
        return _user_page(user, password_form=form, status=409)
    if not form.password.data:
        return _shown_once(user, password, "password")
    flash(f"{user.email}: new password set; their sessions were ended and their API tokens "
          "revoked.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


def _set_active(user_id: int, active: bool):
    user = _user_or_404(user_id)
    if user.id == current_user.id:
        flash("You cannot deactivate your own account: ask another admin.", "danger")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    _, errors = _attempt(lambda: update_user(db.session, user, current_user.email,
                                             active=active))
    if errors:
        return _user_page(_user_or_404(user_id), errors=errors, status=409)
    state = "reactivated: they may sign in again" if active else "deactivated: they can no " \
        "longer sign in"
    flash(f"{user.email} {state}.", "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/deactivate")
@roles(*ADMIN)
def user_deactivate(user_id: int):
    return _set_active(user_id, False)


@bp.post("/admin/users/<int:user_id>/reactivate")
@roles(*ADMIN)
def user_reactivate(user_id: int):
    return _set_active(user_id, True)


# --- units --------------------------------------------------------------------------------


class UnitForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    parent_code = SelectField("Parent", validate_choice=False)
    service_model = SelectField("Service model", validate_choice=False)
    billing_mode = SelectField("Billing mode", choices=[SelectChoice(m) for m in BILLING_MODES])
    recovery_account = StringField("Recovery account (GL)", validators=[Optional(),
                                                                        Length(max=64)])
    head_email = StringField("Head's e-mail", validators=[Optional(), Length(max=254)])

    def fields(self) -> UnitFields:
        return UnitFields(name=self.name.data, parent_code=self.parent_code.data or None,
                          service_model=self.service_model.data,
                          billing_mode=self.billing_mode.data,
                          recovery_account=self.recovery_account.data,
                          head_email=self.head_email.data)


class NewUnitForm(UnitForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=64)])


class RetireForm(FlaskForm):
    reason = StringField("Reason (kept in the audit log)", validators=[Optional(),
                                                                        Length(max=500)])


def _unit_choices_for(form: UnitForm, unit) -> UnitForm:
    """Parents: active units outside the unit's own subtree; the root may have none."""
    below = units_tree.subtree_codes(db.session, {unit.code}) if unit is not None else set()
    parents = [SelectChoice(p.unit.code, f"{'· ' * p.depth}{p.unit.code} · {p.unit.name}")
               for p in units_tree.ordered(db.session, active=True) if p.unit.code not in below]
    form.parent_code.choices = [SelectChoice("", "— none: the root of the tree —")] + parents
    form.service_model.choices = [SelectChoice(m.code, f"{m.code} · {m.name}")
                                  for m in units_tree.service_models(db.session)]
    return form


def _unit_or_404(code: str):
    unit = units_tree.unit_by_code(db.session, code)
    if unit is None:
        abort(404)
    return unit


@bp.get("/admin/units")
@roles(*MANAGE)
def units():
    active = [(p.unit, p.depth) for p in units_tree.ordered(db.session, active=True)]
    return render_template("admin/units.html", active=active,
                           retired=[(p.unit, p.depth) for p in _retired()])


@bp.route("/admin/units/new", methods=["GET", "POST"])
@roles(*MANAGE)
def unit_new():
    form = _unit_choices_for(NewUnitForm(), None)
    errors = None
    if form.validate_on_submit():
        _, errors = _attempt(lambda: units_admin.create_unit(
            db.session, form.code.data, form.fields(), current_user.email))
        if errors is None:
            flash(f"Unit {form.code.data.strip()} created.", "success")
            return redirect(url_for("admin.units"))
    status = 409 if errors else 400 if form.is_submitted() else 200
    return render_template("admin/unit_form.html", form=form, unit=None, errors=errors), status


def _unit_page(unit, form: UnitForm, errors=None, status: int = 200):
    return render_template("admin/unit_form.html", form=form, unit=unit, errors=errors,
                           retire_form=RetireForm(formdata=None)), status


@bp.route("/admin/units/<code>", methods=["GET", "POST"])
@roles(*MANAGE)
def unit_edit(code: str):
    unit = _unit_or_404(code)
    form = UnitForm()
    if not form.is_submitted():
        return _unit_page(unit, _edit_form(unit))
    form = _unit_choices_for(form, unit)
    if not form.validate():
        return _unit_page(unit, form, status=400)
    _, errors = _attempt(lambda: units_admin.update_unit(
        db.session, unit, form.fields(), current_user.email))
    if errors:
        return _unit_page(_unit_or_404(code), form, errors, status=409)
    flash(f"Unit {unit.code} saved. Closed periods keep the tree as it was when they closed.",
          "success")
    return redirect(url_for("admin.units"))


@bp.post("/admin/units/<code>/retire")
@roles(*MANAGE)
def unit_retire(code: str):
    unit = _unit_or_404(code)
    form = RetireForm()
    if not form.validate_on_submit():
        return _unit_page(unit, _edit_form(unit), ["reason: at most 500 characters"], status=400)
    _, errors = _attempt(lambda: units_admin.retire_unit(db.session, unit, current_user.email,
                                                         form.reason.data))
    if errors:
        unit = _unit_or_404(code)
        return _unit_page(unit, _edit_form(unit), errors, status=409)
    flash(f"Unit {code} retired; its history stays in the closed periods.", "success")
    return redirect(url_for("admin.units"))


@bp.post("/admin/units/<code>/reactivate")
@roles(*MANAGE)
def unit_reactivate(code: str):
    unit = _unit_or_404(code)
    _, errors = _attempt(lambda: units_admin.reactivate_unit(db.session, unit,
                                                             current_user.email))
    if errors:
        unit = _unit_or_404(code)
        return _unit_page(unit, _edit_form(unit), errors, status=409)
    flash(f"Unit {code} is active again.", "success")
    return redirect(url_for("admin.units"))


def _edit_form(unit) -> UnitForm:
    form = UnitForm(formdata=None, name=unit.name,
                    parent_code=unit.parent.code if unit.parent else "",
                    service_model=unit.service_model_code, billing_mode=unit.billing_mode,
                    recovery_account=unit.recovery_account, head_email=unit.head_email)
    return _unit_choices_for(form, unit)


# --- service models -----------------------------------------------------------------------


class ServiceModelForm(FlaskForm):
    code = StringField("Code (lower-case letters, digits and _)",
                       validators=[DataRequired(), Length(max=64)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    starter = TextAreaField("Starter scorecard: criteria as in the scorecard file (JSON)",
                            validators=[DataRequired(), Length(max=100_000)])


def _example_starter() -> str:
    criteria = scorecard_to_dict(template_for("customer_intimacy"))["criteria"]
    return json.dumps({"criteria": criteria}, indent=2)


def _starters() -> dict[str, list[dict]]:
    """Each model's starter criteria: the built-in templates, or the stored one."""
    starters = {}
    for model in units_tree.service_models(db.session):
        builtin = template_for(model.code)
        data = scorecard_to_dict(builtin) if builtin else (model.template or {})
        starters[model.code] = data.get("criteria", [])
    return starters


@bp.get("/admin/service-models")
@roles(*MANAGE)
def service_models():
    return render_template("admin/service_models.html",
                           models=units_tree.service_models(db.session),
                           in_use=units_tree.models_in_use(db.session), starters=_starters())


@bp.route("/admin/service-models/new", methods=["GET", "POST"])
@roles(*MANAGE)
def service_model_new():
    form = ServiceModelForm()
    if not form.is_submitted():
        form.starter.data = _example_starter()
    errors = None
    if form.validate_on_submit():
        _, errors = _attempt(lambda: units_admin.add_service_model(
            db.session, form.code.data, form.name.data,
            units_admin.parse_starter(form.starter.data), current_user.email))
        if errors is None:
            flash(f"Service model {form.code.data.strip()} added with its starter scorecard.",
                  "success")
            return redirect(url_for("admin.service_models"))
    status = 409 if errors else 400 if form.is_submitted() else 200
    return render_template("admin/service_model_new.html", form=form, errors=errors), status


# --- settings -----------------------------------------------------------------------------


class BandsForm(FlaskForm):
    exceeds = DecimalField("Exceeds from", places=None, validators=[InputRequired()])
    meets = DecimalField("Meets from", places=None, validators=[InputRequired()])
    watch = DecimalField("Watch from", places=None, validators=[InputRequired()])


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


class CurrencyForm(FlaskForm):
    currency = StringField("Currency (three letters, e.g. USD)", filters=[_stripped],
                           validators=[DataRequired(), Length(min=3, max=3)])




class FiscalYearForm(FlaskForm):
    start = SelectField("The fiscal year starts in", coerce=int,
                        choices=[(n, name) for n, name in enumerate(MONTH_NAMES, 1)],
                        validators=[InputRequired()])


def _settings_page(bands: BandsForm | None = None, currency: CurrencyForm | None = None,
                   fiscal: FiscalYearForm | None = None, errors=None, status: int = 200):
    limits = holding.thresholds(db.session)
    bands = bands or BandsForm(formdata=None, exceeds=limits.exceeds, meets=limits.meets,
                               watch=limits.watch)
    currency = currency or CurrencyForm(formdata=None, currency=_currency())
    start = holding.fiscal_year_start(db.session)
    fiscal = fiscal or FiscalYearForm(formdata=None, start=start)
    return render_template("admin/settings.html", bands=bands, currency_form=currency,
                           fiscal_form=fiscal, fiscal_start=MONTH_NAMES[start - 1],
                           errors=errors, limits=limits, current=_currency()), status


@bp.get("/admin/settings")
@roles(*MANAGE)
def settings():
    return _settings_page()


@bp.post("/admin/settings/bands")
@roles(*MANAGE)
def settings_bands():
    form = BandsForm()
    if not form.validate_on_submit():
        return _settings_page(bands=form, status=400)
    _, errors = _attempt(lambda: holding.set_thresholds(
        db.session, form.exceeds.data, form.meets.data, form.watch.data, current_user.email))
    if errors:
        return _settings_page(bands=form, errors=errors, status=409)
    flash("Band thresholds saved; they apply to the periods closed from now on.", "success")
    return redirect(url_for("admin.settings"))


@bp.post("/admin/settings/currency")
@roles(*MANAGE)
def settings_currency():
    form = CurrencyForm()
    if not form.validate_on_submit():
        return _settings_page(currency=form, status=400)
    default = current_app.config["CHARGEBACK_CURRENCY"]
    _, errors = _attempt(lambda: holding.set_currency(
        db.session, form.currency.data, current_user.email, default))
    if errors:
        return _settings_page(currency=form, errors=errors, status=409)
    flash(f"Currency set to {_currency()}; journals of periods closed from now on use it.",
          "success")
    return redirect(url_for("admin.settings"))


@bp.post("/admin/settings/fiscal-year")
@roles(*MANAGE)
def settings_fiscal_year():
    form = FiscalYearForm()
    if not form.validate_on_submit():
        return _settings_page(fiscal=form, status=400)
    _, errors = _attempt(lambda: holding.set_fiscal_year_start(
        db.session, form.start.data, current_user.email))
    if errors:
        return _settings_page(fiscal=form, errors=errors, status=409)
    flash(f"Fiscal years start in {MONTH_NAMES[form.start.data - 1]}; the packs of periods "
          "closed from now on count their year to date from it.", "success")
    return redirect(url_for("admin.settings"))
