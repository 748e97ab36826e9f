"""Sample import files, one per kind, made from the importer's own column definitions.

The header of a sample is the kind's columns as the importer reads them (``schemas.columns``:
required first, then optional), so a sample can never drift from what an import expects.
The rows are a small company of their own: a holding root ``HOLD`` with a plant ``PLANT``
and a lab ``LAB-X`` below it, their consumers, one service with its price, two offerings
and their service level targets (and the plant's service that depends on it), and a month
(``SAMPLE_PERIOD``) of spend, budget, metrics, service level results, usage and drivers.
Imported in the order of
``IMPORT_KINDS`` into an empty database, every sample is stored (a test does it): they are
examples of valid files, to be edited into a deployment's own codes before real use.
"""

from __future__ import annotations

import csv
import io

from chargeback.importing.schemas import columns
from chargeback.vocabulary import IMPORT_KINDS

SAMPLE_PERIOD = "2026-01"

# Example rows by kind, by column name; a column a row leaves out is empty (optional).
EXAMPLES: dict[str, list[dict[str, str]]] = {
    "units": [
        {"code": "HOLD", "name": "Holding IT", "service_model": "operational_excellence",
         "billing_mode": "chargeback", "recovery_account": "4900-HOLD"},
        {"code": "PLANT", "name": "Plant IT", "parent_code": "HOLD",
         "service_model": "customer_intimacy", "billing_mode": "chargeback",
         "recovery_account": "4900-PLANT", "head_email": "plant.head@example.com"},
        {"code": "LAB-X", "name": "Research lab IT", "parent_code": "HOLD",
         "service_model": "product_leadership", "billing_mode": "showback",
         "recovery_account": "4900-LABX"},
    ],
    "consumers": [
        {"code": "LINE-A", "name": "Assembly line A", "gl_account": "6200-001"},
        {"code": "C-PLANT", "name": "Plant IT as a consumer", "gl_account": "6900-PLANT",
         "unit_code": "PLANT"},
    ],
    "services": [
        {"code": "VM", "unit_code": "HOLD", "name": "Virtual machine", "uom": "vm-month"},
        {"code": "MES", "unit_code": "PLANT", "name": "Manufacturing execution system",
         "uom": "line-month"},
    ],
    "offerings": [
        {"service_code": "VM", "code": "standard", "name": "Standard virtual machine"},
        {"service_code": "VM", "code": "priority",
         "name": "Priority virtual machine, 4-hour response"},
    ],
    "sla_targets": [
        {"service_code": "VM", "offering": "standard", "measure": "availability",
         "target": "99.5", "direction": "higher"},
        {"service_code": "VM", "offering": "priority", "measure": "availability",
         "target": "99.9", "direction": "higher"},
        {"service_code": "VM", "offering": "priority", "measure": "response_hours",
         "target": "4", "direction": "lower"},
    ],
    "rates": [
        {"service_code": "VM", "effective_from": SAMPLE_PERIOD, "price": "120.00"},
    ],
    "spend": [
        {"period": SAMPLE_PERIOD, "unit_code": "HOLD", "cost_pool": "hosting",
         "amount": "25000.00", "tower": "compute", "account": "7100",
         "description": "Data center lease"},
        {"period": SAMPLE_PERIOD, "unit_code": "PLANT", "cost_pool": "staff",
         "amount": "18000.00", "description": "Plant IT staff"},
    ],
    "budget": [
        {"period": SAMPLE_PERIOD, "unit_code": "HOLD", "amount": "26000.00"},
        {"period": SAMPLE_PERIOD, "unit_code": "PLANT", "amount": "17500.00"},
    ],
    "metrics": [
        {"period": SAMPLE_PERIOD, "unit_code": "PLANT", "measure": "tickets_closed",
         "value": "412"},
        {"period": SAMPLE_PERIOD, "unit_code": "PLANT", "measure": "csat", "value": "4.4"},
    ],
    "sla_results": [
        {"period": SAMPLE_PERIOD, "service_code": "VM", "measure": "availability",
         "value": "99.71"},
        {"period": SAMPLE_PERIOD, "service_code": "VM", "offering": "priority",
         "measure": "response_hours", "value": "3.5"},
    ],
    "usage": [
        {"period": SAMPLE_PERIOD, "consumer_code": "LINE-A", "service_code": "VM",
         "quantity": "12"},
        {"period": SAMPLE_PERIOD, "consumer_code": "C-PLANT", "service_code": "VM",
         "quantity": "3.5"},
    ],
    "drivers": [
        {"period": SAMPLE_PERIOD, "consumer_code": "LINE-A", "driver": "headcount",
         "quantity": "140"},
        {"period": SAMPLE_PERIOD, "consumer_code": "C-PLANT", "driver": "headcount",
         "quantity": "12"},
    ],
    "dependencies": [
        {"service_code": "MES", "depends_on": "VM"},
    ],
}


def header(kind: str) -> list[str]:
    """The kind's columns, required first: the importer's own list."""
    required, optional = columns(kind)
    return [*required, *optional]


def rows(kind: str) -> list[list[str]]:
    """The sample's rows in header order. An example naming a column the importer does not
    know, or leaving a required one empty, is a programming error caught here (and by the
    test that imports every sample)."""
    names = header(kind)
    required = set(columns(kind)[0])
    found = []
    for example in EXAMPLES[kind]:
        unknown = set(example) - set(names)
        missing = {name for name in required if not example.get(name)}
        if unknown or missing:
            raise ValueError(f"sample {kind}: unknown columns {sorted(unknown)}, "
                             f"required columns left empty {sorted(missing)}")
        found.append([example.get(name, "") for name in names])
    return found


def csv_text(kind: str) -> str:
    """The sample as a CSV file (UTF-8, comma, CRLF line ends, the header first)."""
    if kind not in IMPORT_KINDS:
        raise KeyError(kind)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header(kind))
    writer.writerows(rows(kind))
    return buffer.getvalue()


def xlsx_bytes(kind: str) -> bytes:
    """The sample as a workbook: one sheet named after the kind (the sheet an import
    reads first), the header then the rows, every cell text as the importer reads it."""
    from reports.export import Section, text_columns
    from reports.export import xlsx_bytes as workbook

    if kind not in IMPORT_KINDS:
        raise KeyError(kind)
    return workbook([Section(kind, text_columns(*header(kind)), rows(kind))])
