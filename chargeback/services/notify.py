"""Mail: finance is told a pack is published; central IT that a scorecard was submitted,
a unit head that theirs was approved or sent back.

Mail is off while ``CHARGEBACK_SMTP_HOST`` is unset; a mail that cannot be sent is logged
and never undoes the close (the pack is already where finance finds it).
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from chargeback.models import PackFile, User

log = logging.getLogger(__name__)


def finance_recipients(session: Session) -> list[str]:
    return list(session.scalars(select(User.email).where(
        User.role == "finance", User.active.is_(True)).order_by(User.email)))


def pack_published(session: Session, pack: PackFile, config: dict) -> int:
    """Send the mail; returns how many recipients it went to (0 when mail is off)."""
    link = f"{config['CHARGEBACK_BASE_URL'].rstrip('/')}/packs/{pack.id}/download"
    revision = "" if pack.revision == 1 else f" (revision {pack.revision})"
    sent = send(config, finance_recipients(session),
                f"Chargeback pack {pack.period} is published",
                f"The monthly chargeback pack for {pack.period}{revision} is ready.\n\n"
                f"Download it here: {link}\n\nThis mail was sent by the chargeback scheduler.\n")
    if sent:
        log.info("mailed %d finance user(s) about the %s pack", sent, pack.period)
    return sent


def central_it_recipients(session: Session) -> list[str]:
    return list(session.scalars(select(User.email).where(
        User.role == "central_it", User.active.is_(True)).order_by(User.email)))


def unit_head_recipients(session: Session, unit, author: str) -> list[str]:
    """The unit's head (``head_email``) and the version's author when a unit head wrote it."""
    heads = {unit.head_email} if unit.head_email else set()
    writer = session.scalar(select(User).where(User.email == author, User.active.is_(True)))
    if writer is not None and writer.role == "unit_head":
        heads.add(writer.email)
    return sorted(heads)


def scorecard_step(session: Session, version, unit, step: str, config: dict) -> int:
    """The mail of a step of a scorecard's way to approval: ``submitted`` to central IT,
    ``approved`` and ``sent_back`` to the unit head. Sent after the step is committed."""
    base = config["CHARGEBACK_BASE_URL"].rstrip("/")
    name = f"{unit.code} scorecard version {version.version}"
    if step == "submitted":
        return send(config, central_it_recipients(session), f"{name} waits for approval",
                    f"{version.created_by} submitted {name}, asking to take effect from "
                    f"{version.effective_from}.\n\nReview it here: "
                    f"{base}/approvals/{version.id}\n")
    link = f"{base}/units/{unit.code}/scorecard"
    if step == "approved":
        subject = f"{name} is approved"
        text = (f"{version.approved_by} approved {name}: it rates {unit.code} from "
                f"{version.effective_from} on.\n\n{link}\n")
    elif step == "sent_back":
        subject = f"{name} was sent back"
        text = (f"Central IT sent {name} back as a draft, saying:\n\n{version.comment}\n\n"
                f"Change it here and submit it again: {link}\n")
    else:
        raise ValueError(f"unknown scorecard step {step!r}")
    return send(config, unit_head_recipients(session, unit, version.created_by), subject, text)


def send(config: dict, recipients: list[str], subject: str, text: str) -> int:
    """One plain-text mail through the same SMTP settings; how many recipients it went to
    (0 when mail is off or the mail could not be sent, which is logged)."""
    host = config.get("CHARGEBACK_SMTP_HOST")
    if not host or not recipients:
        return 0
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["CHARGEBACK_MAIL_FROM"]
    message["To"] = ", ".join(recipients)
    message.set_content(text)
    try:
        with smtplib.SMTP(host, config["CHARGEBACK_SMTP_PORT"], timeout=30) as smtp:
            if config.get("CHARGEBACK_SMTP_STARTTLS"):
                smtp.starttls()
            if config.get("CHARGEBACK_SMTP_USER"):
                smtp.login(config["CHARGEBACK_SMTP_USER"], config["CHARGEBACK_SMTP_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.error("could not send the mail %r: %s", subject, exc)
        return 0
    return len(recipients)
