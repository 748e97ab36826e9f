"""The provisional pack's record: one per open month, written again every night.

A draft is not a published close: its file is replaced each time it is written and its
record says when and with which checksum. Final packs are never overwritten.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from chargeback.models import PackFile
from chargeback.services.packs import WrittenPack
from chargeback.services.queries import packs as pack_files


def record_draft(session: Session, period: str, written: WrittenPack) -> PackFile:
    moment = dt.datetime.now(dt.UTC)
    pack = pack_files.provisional(session, period)
    if pack is None:
        pack = PackFile(period=period, kind="provisional", revision=1, path=str(written.path),
                        sha256=written.sha256, created_by="scheduler")
        session.add(pack)
    pack.sha256, pack.path, pack.created_at = written.sha256, str(written.path), moment
    pack.published_at = moment
    session.flush()
    return pack
