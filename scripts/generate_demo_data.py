#!/usr/bin/env python3
"""Generate the demo holding company's data set (``chargeback/demo/data/``).

Northfield Industries, a manufacturer with an R&D arm: central IT (``HQ``) is the
holding company over two groups and five embedded IT units, each with its own
service model and its own scorecard. Twelve periods, 2025-11 to 2026-10.

Deterministic: standard library only, one seeded ``random.Random``; every value is
computed with ``decimal.Decimal`` and written in a fixed order, so running the script
twice gives byte-identical files. The script validates what it wrote (codes, periods,
decimal places, natural keys, scorecards, rules, cascade) and exits 1 on a problem.

    python scripts/generate_demo_data.py            # write and validate
    python scripts/generate_demo_data.py --check    # validate the files on disk only
"""

from __future__ import annotations

import calendar
import csv
import json
import random
import re
import sys
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "chargeback" / "demo" / "data"
SEED = 20251101

PERIODS = [f"{y}-{m:02d}" for y, m in [(2025, 11), (2025, 12)] + [(2026, m) for m in range(1, 11)]]
RATE_CHANGE = "2026-05"  # DC compute rate cut after the server consolidation
CREDIT_PERIOD = "2026-04"  # WW endpoint licence true-up credit
GAP = ("2025-12", "ALT", "researcher_csat")  # holiday month: no researcher survey

# fmt: off
HEADERS = {
    "units": ["code", "name", "parent_code", "service_model", "billing_mode", "recovery_account", "head_email"],
    "consumers": ["code", "name", "gl_account", "unit_code"],
    "services": ["code", "unit_code", "name", "uom", "owner_email"],
    "rates": ["service_code", "effective_from", "price"],
    "spend": ["period", "unit_code", "cost_pool", "amount", "tower", "account", "description"],
    "budget": ["period", "unit_code", "amount"],
    "metrics": ["period", "unit_code", "measure", "value"],
    "usage": ["period", "consumer_code", "service_code", "quantity"],
    "drivers": ["period", "consumer_code", "driver", "quantity"],
    "offerings": ["service_code", "code", "name"],
    "sla_targets": ["service_code", "offering", "measure", "target", "direction"],
    "sla_results": ["period", "service_code", "offering", "measure", "value"],
    "dependencies": ["service_code", "depends_on"],
}

CENT = Decimal("0.01")
MODELS = {"operational_excellence", "customer_intimacy", "venture"}  # the models the units follow
RESERVED_POOLS = {"all", "unrecovered", "internal"}

# --------------------------------------------------------------------------- company

UNITS = [
    # code, name, parent, service model, billing mode, recovery account, head e-mail
    ("HQ", "Central IT", "", "operational_excellence", "chargeback", "4900-HQ", "cio@northfield.example"),
    ("RND", "Research & Development IT", "HQ", "customer_intimacy", "chargeback", "4900-RND",
     "rd.it.director@northfield.example"),
    ("ALT", "Altoona R&D Computing", "RND", "customer_intimacy", "chargeback", "4900-ALT",
     "altoona.computing@northfield.example"),
    ("LAB", "Innovation Lab", "RND", "venture", "showback", "4900-LAB",
     "innovation.lab@northfield.example"),
    ("MFG", "Manufacturing IT", "HQ", "operational_excellence", "chargeback", "4900-MFG",
     "mfg.it.director@northfield.example"),
    ("WW", "Walla Walla Plant IT", "MFG", "operational_excellence", "chargeback", "4900-WW",
     "wallawalla.it@northfield.example"),
    ("DEC", "Decatur Plant IT", "MFG", "operational_excellence", "chargeback", "4900-DEC",
     "decatur.it@northfield.example"),
    ("DC", "Central Data Center", "HQ", "operational_excellence", "chargeback", "4900-DC",
     "datacenter@northfield.example"),
]

# business consumers: code, name, GL account, headcount at 2025-11, monthly hiring drift, m2 per head
BUSINESS = [
    ("AL-CHEM", "Altoona Chemistry Lab", "6100-110", 140, 0.004, 9.5),
    ("AL-MAT", "Altoona Materials Science Lab", "6100-120", 120, 0.003, 10.5),
    ("AL-BIO", "Altoona Bioprocess Lab", "6100-130", 95, 0.006, 11.0),
    ("AL-PILOT", "Altoona Pilot Plant", "6100-140", 60, 0.0, 24.0),
    ("RD-PM", "R&D Program Office", "6100-150", 35, 0.0, 7.0),
    ("RD-NPD", "New Product Development", "6100-160", 80, 0.012, 8.0),
    ("RD-DIGI", "Digital Ventures", "6100-170", 25, 0.05, 6.5),
    ("WW-L1", "Walla Walla Line 1 - Extrusion", "6200-210", 420, 0.0, 14.0),
    ("WW-L2", "Walla Walla Line 2 - Assembly", "6200-220", 380, 0.0, 12.5),
    ("WW-QA", "Walla Walla Quality Assurance", "6200-230", 90, 0.0, 8.0),
    ("WW-WH", "Walla Walla Warehouse & Logistics", "6200-240", 150, 0.0, 30.0),
    ("DE-L1", "Decatur Line 1 - Molding", "6300-310", 330, -0.002, 15.0),
    ("DE-L2", "Decatur Line 2 - Finishing", "6300-320", 290, -0.002, 13.0),
    ("DE-MNT", "Decatur Maintenance", "6300-330", 110, 0.0, 16.0),
    ("FIN", "Corporate Finance", "6400-410", 75, 0.0, 7.5),
    ("HR", "Human Resources", "6400-420", 45, 0.0, 7.5),
    ("SCM", "Supply Chain Management", "6400-430", 120, 0.002, 8.0),
]

# consumers that are themselves units: they buy the data center's services
UNIT_CONSUMERS = [
    ("C-ALT", "Altoona R&D Computing (internal)", "6900-ALT", "ALT"),
    ("C-LAB", "Innovation Lab (internal)", "6900-LAB", "LAB"),
    ("C-WW", "Walla Walla Plant IT (internal)", "6900-WW", "WW"),
    ("C-DEC", "Decatur Plant IT (internal)", "6900-DEC", "DEC"),
]

# Service owners are demo users (``chargeback.demo.DEMO_USERS``): Altoona's head owns
# Altoona's services, R&D's head the lab's, central IT the rest.
ALT_OWNER, RND_OWNER, CIT_OWNER = ("alt-head@demo.example", "rnd-head@demo.example",
                                   "central-it@demo.example")
SERVICES = [
    ("ALT-WS", "ALT", "Research workstation support", "seat-month", ALT_OWNER),
    ("ALT-HPC", "ALT", "Research HPC with scientific software stack", "core-hour", ALT_OWNER),
    ("ALT-CONS", "ALT", "Research computing consulting", "project-hour", ALT_OWNER),
    ("LAB-PROTO", "LAB", "Prototype engineering", "project-hour", RND_OWNER),
    ("LAB-SBX", "LAB", "Innovation cloud sandbox", "core-hour", RND_OWNER),
    ("WW-DESK", "WW", "Plant desktop support", "seat-month", CIT_OWNER),
    ("WW-SVC", "WW", "Plant service desk", "ticket", CIT_OWNER),
    ("WW-MES", "WW", "MES application support", "project-hour", CIT_OWNER),
    ("DEC-DESK", "DEC", "Plant desktop support", "seat-month", CIT_OWNER),
    ("DEC-SVC", "DEC", "Plant service desk", "ticket", CIT_OWNER),
    ("DC-COMP", "DC", "Virtual compute", "core-hour", CIT_OWNER),
    ("DC-STOR", "DC", "Managed storage with backup", "GB-month", CIT_OWNER),
]

# The service catalog: each service's offerings and each offering's service level targets
# (measure, target, higher or lower is better). Altoona's HPC comes as standard and
# priority; the plants' desks in one standard package; the data center's compute as
# standard and high-availability.
OFFERINGS = [
    ("ALT-WS", "standard", "Managed research workstation"),
    ("ALT-HPC", "standard", "Batch HPC, shared queue"),
    ("ALT-HPC", "priority", "Priority HPC: reserved nodes, 1-hour response"),
    ("ALT-CONS", "standard", "Research software engineering by the hour"),
    ("LAB-PROTO", "standard", "Prototype sprint"),
    ("LAB-SBX", "standard", "Self-service cloud sandbox"),
    ("WW-DESK", "standard", "Standard desktop, three images"),
    ("WW-SVC", "standard", "Service desk, business hours"),
    ("WW-MES", "standard", "MES support, line-down priority"),
    ("DEC-DESK", "standard", "Standard desktop"),
    ("DEC-SVC", "standard", "Service desk, business hours"),
    ("DC-COMP", "standard", "Virtual machine"),
    ("DC-COMP", "ha", "High-availability virtual machine pair"),
    ("DC-STOR", "standard", "Storage with nightly backup"),
]
SLA_TARGETS = [
    ("ALT-WS", "standard", "resolution_hours", "16", "lower"),
    ("ALT-HPC", "standard", "availability", "99.0", "higher"),
    ("ALT-HPC", "standard", "response_hours", "8", "lower"),
    ("ALT-HPC", "priority", "availability", "99.5", "higher"),
    ("ALT-HPC", "priority", "response_hours", "1", "lower"),
    ("ALT-CONS", "standard", "response_hours", "24", "lower"),
    ("LAB-PROTO", "standard", "sprint_on_time_pct", "75", "higher"),
    ("LAB-SBX", "standard", "availability", "99.0", "higher"),
    ("WW-DESK", "standard", "resolution_hours", "8", "lower"),
    ("WW-SVC", "standard", "response_hours", "4", "lower"),
    ("WW-MES", "standard", "response_hours", "1", "lower"),
    ("DEC-DESK", "standard", "resolution_hours", "8", "lower"),
    ("DEC-SVC", "standard", "response_hours", "4", "lower"),
    ("DC-COMP", "standard", "availability", "99.9", "higher"),
    ("DC-COMP", "ha", "availability", "99.99", "higher"),
    ("DC-STOR", "standard", "restore_hours", "4", "lower"),
]
# Each month's results: (service, offering or "" for the whole service, measure, start,
# end, jitter, decimals): a value walking from start to end over the year. HPC
# availability is the cluster's, so one service-wide figure serves both offerings.
SLA_WALKS = [
    ("ALT-WS", "standard", "resolution_hours", 20.0, 12.0, 2.0, 1),
    ("ALT-HPC", "", "availability", 98.9, 99.6, 0.25, 2),
    ("ALT-HPC", "standard", "response_hours", 9.0, 5.0, 1.0, 1),
    ("ALT-HPC", "priority", "response_hours", 1.6, 0.8, 0.3, 1),
    ("ALT-CONS", "standard", "response_hours", 30.0, 18.0, 4.0, 1),
    ("LAB-PROTO", "standard", "sprint_on_time_pct", 62.0, 84.0, 6.0, 0),
    ("LAB-SBX", "", "availability", 99.2, 99.7, 0.2, 2),
    ("WW-DESK", "standard", "resolution_hours", 7.5, 6.5, 0.8, 1),
    ("WW-SVC", "standard", "response_hours", 3.2, 2.8, 0.5, 1),
    ("WW-MES", "standard", "response_hours", 0.9, 0.7, 0.2, 2),
    ("DEC-DESK", "standard", "resolution_hours", 11.0, 7.0, 0.8, 1),
    ("DEC-SVC", "standard", "response_hours", 5.5, 3.5, 0.4, 1),
    ("DC-COMP", "standard", "availability", 99.93, 99.97, 0.02, 3),
    ("DC-COMP", "ha", "availability", 99.985, 99.995, 0.006, 3),
    ("DC-STOR", "standard", "restore_hours", 3.5, 2.5, 0.6, 1),
]
SLA_SEED = SEED + 17  # a generator of its own: the other files' draws do not move

RATES = [
    ("ALT-WS", "2025-11", "158.00"),
    ("ALT-HPC", "2025-11", "0.0525"),
    ("ALT-HPC", RATE_CHANGE, "0.049"),
    ("ALT-CONS", "2025-11", "92.50"),
    ("LAB-PROTO", "2025-11", "95.00"),
    ("LAB-SBX", "2025-11", "0.045"),
    ("WW-DESK", "2025-11", "48.00"),
    ("WW-SVC", "2025-11", "22.00"),
    ("WW-MES", "2025-11", "95.00"),
    ("DEC-DESK", "2025-11", "52.00"),
    ("DEC-SVC", "2025-11", "24.00"),
    ("DC-COMP", "2025-11", "0.0375"),
    ("DC-COMP", RATE_CHANGE, "0.0322"),
    ("DC-STOR", "2025-11", "0.0415"),
]

# spend lines: unit, pool, tower, account, description, base at 2025-11, monthly growth,
# noise (+/- fraction), shape (name of a per-period factor)
SPEND = [
    ("HQ", "labor", "management", "7100", "CIO office and IT governance", 48000, 0.0, 0.01, None),
    ("HQ", "labor", "security", "7100", "Information security team", 31000, 0.002, 0.02, None),
    ("HQ", "software", "application", "7300", "Corporate ERP, HR and procurement licences", 14500, 0.0, 0.01, None),
    ("HQ", "facilities", "management", "7400", "HQ IT office space", 8200, 0.0, 0.0, None),
    ("RND", "labor", "management", "7100", "R&D IT director and business relationship managers", 17500, 0.0, 0.01, None),
    ("RND", "software", "application", "7300", "Research data management platform", 4200, 0.0, 0.0, None),
    ("MFG", "labor", "management", "7100", "Manufacturing IT director and OT security lead", 19000, 0.0, 0.01, None),
    ("MFG", "software", "application", "7300", "Plant OT asset inventory", 2600, 0.0, 0.0, None),
    ("ALT", "labor", "end_user", "7100", "Research desktop and lab instrument support", 47500, 0.004, 0.02, None),
    ("ALT", "hardware", "end_user", "7200", "High-end workstation leases", 26500, 0.004, 0.01, None),
    ("ALT", "software", "end_user", "7300", "Workstation and endpoint licences", 15800, 0.004, 0.01, None),
    ("ALT", "software", "application", "7300", "Scientific software licences (ELN, LIMS, CAD)", 33000, 0.005, 0.02, None),
    ("ALT", "labor", "compute", "7100", "HPC scheduling and research computing engineers", 21000, 0.0, 0.02, None),
    ("ALT", "cloud", "compute", "7500", "Public cloud research burst", 7500, 0.01, 0.15, None),
    ("LAB", "labor", "application", "7100", "Innovation engineers and product owners", 34000, 0.05, 0.02, None),
    ("LAB", "cloud", "compute", "7500", "Cloud sandbox and AI services", 11000, 0.09, 0.08, None),
    ("LAB", "software", "application", "7300", "Prototyping and design tools", 6500, 0.02, 0.03, None),
    ("LAB", "hardware", "end_user", "7200", "Prototype devices and sensors", 4500, 0.04, 0.25, None),
    ("WW", "labor", "end_user", "7100", "Desktop support technicians", 27500, 0.0, 0.02, None),
    ("WW", "hardware", "end_user", "7200", "PC and thin-client leases", 14200, 0.0, 0.01, None),
    ("WW", "software", "end_user", "7300", "Endpoint management and licences", 8600, 0.0, 0.01, None),
    ("WW", "labor", "application", "7100", "MES and plant application support", 23500, 0.0, 0.02, None),
    ("WW", "software", "application", "7300", "MES licence and maintenance", 14800, 0.0, 0.0, None),
    ("WW", "telecom", "network", "7600", "WAN circuits and plant Wi-Fi", 9400, 0.0, 0.01, None),
    ("WW", "facilities", "network", "7400", "Plant server room power and cooling", 3100, 0.0, 0.03, "summer"),
    ("DEC", "labor", "end_user", "7100", "Desktop support technicians", 22500, -0.008, 0.02, None),
    ("DEC", "hardware", "end_user", "7200", "PC leases", 12400, -0.01, 0.01, None),
    ("DEC", "software", "end_user", "7300", "Endpoint management and licences", 7300, -0.005, 0.01, None),
    ("DEC", "labor", "application", "7100", "Plant application support", 17000, 0.0, 0.02, None),
    ("DEC", "software", "application", "7300", "Quality and maintenance system licences", 9200, 0.0, 0.0, None),
    ("DEC", "telecom", "network", "7600", "WAN circuits", 7100, 0.0, 0.01, None),
    ("DC", "labor", "compute", "7100", "Server and virtualization engineers", 38000, 0.005, 0.02, None),
    ("DC", "labor", "storage", "7100", "Storage and backup engineers", 17000, 0.0, 0.02, None),
    ("DC", "hardware", "compute", "7200", "Server depreciation", 62000, 0.0, 0.0, "consolidation"),
    ("DC", "hardware", "storage", "7200", "Storage array depreciation", 36000, 0.012, 0.0, None),
    ("DC", "software", "compute", "7300", "Virtualization and OS licences", 21000, 0.0, 0.01, "consolidation_sw"),
    ("DC", "software", "storage", "7300", "Backup software", 7500, 0.0, 0.0, None),
    ("DC", "facilities", "compute", "7400", "Colocation power and cooling", 24000, 0.0, 0.03, "summer"),
    ("DC", "telecom", "network", "7600", "Data center network and interconnects", 11000, 0.0, 0.01, None),
]
CREDIT = ("WW", "software", "end_user", "7300", "Endpoint licence true-up credit (EA reconciliation)",
          Decimal("-7850.00"))

# the Innovation Lab is a venture: milestones (of 4 planned) and learning goals (of 3) met
# each month, and the funding envelope of fiscal 2026 granted in full, its November and
# December 2026 rows (after the demo's months) at October's plan
LAB_MILESTONES_MET = (1, 2, 2, 2, 3, 3, 3, 4, 3, 4, 4, 4)
LAB_LEARNING_MET = (1, 1, 2, 2, 2, 3, 2, 3, 3, 3, 3, 3)
VENTURE_ENVELOPE_MONTHS = ("2026-11", "2026-12")

# budget: plan = noise-free expected spend (internal charges included) * factor * drift**m
BUDGET_PLAN = {
    "HQ": (1.01, 1.0), "RND": (1.0, 1.0), "MFG": (1.0, 1.0), "ALT": (1.01, 1.0),
    "LAB": (1.04, 0.975), "WW": (1.01, 1.0), "DEC": (0.985, 1.0), "DC": (1.01, 1.0),
}

# usage: consumer, service, base at 2025-11, monthly growth, noise, decimals, shape
USAGE = [
    ("AL-CHEM", "ALT-WS", 185, 0.002, 0.0, 0, None),
    ("AL-MAT", "ALT-WS", 160, 0.002, 0.0, 0, None),
    ("AL-BIO", "ALT-WS", 130, 0.004, 0.0, 0, None),
    ("AL-PILOT", "ALT-WS", 70, 0.0, 0.0, 0, None),
    ("RD-PM", "ALT-WS", 55, 0.0, 0.0, 0, None),
    ("AL-CHEM", "ALT-CONS", 120, 0.0, 0.15, 1, "holidays"),
    ("AL-MAT", "ALT-CONS", 110, 0.0, 0.15, 1, "holidays"),
    ("AL-BIO", "ALT-CONS", 90, 0.01, 0.15, 1, "holidays"),
    ("AL-PILOT", "ALT-CONS", 40, 0.0, 0.25, 1, "holidays"),
    ("RD-NPD", "LAB-PROTO", 150, 0.05, 0.10, 1, None),
    ("RD-DIGI", "LAB-PROTO", 70, 0.07, 0.12, 1, None),
    ("AL-MAT", "LAB-PROTO", 30, 0.02, 0.20, 1, None),
    ("SCM", "LAB-PROTO", 40, 0.03, 0.20, 1, None),
    ("RD-NPD", "LAB-SBX", 160000, 0.06, 0.10, 1, None),
    ("RD-DIGI", "LAB-SBX", 110000, 0.08, 0.10, 1, None),
    ("SCM", "LAB-SBX", 50000, 0.03, 0.10, 1, None),
    ("WW-L1", "WW-DESK", 310, 0.0, 0.0, 0, None),
    ("WW-L2", "WW-DESK", 290, 0.0, 0.0, 0, None),
    ("WW-QA", "WW-DESK", 160, 0.0, 0.0, 0, None),
    ("WW-WH", "WW-DESK", 240, 0.0, 0.0, 0, None),
    ("WW-L1", "WW-SVC", 430, -0.005, 0.06, 0, "tickets"),
    ("WW-L2", "WW-SVC", 400, -0.005, 0.06, 0, "tickets"),
    ("WW-QA", "WW-SVC", 240, -0.005, 0.06, 0, "tickets"),
    ("WW-WH", "WW-SVC", 290, -0.005, 0.06, 0, "tickets"),
    ("WW-L1", "WW-MES", 110, 0.0, 0.12, 1, None),
    ("WW-L2", "WW-MES", 95, 0.0, 0.12, 1, None),
    ("WW-QA", "WW-MES", 45, 0.0, 0.15, 1, None),
    ("WW-WH", "WW-MES", 30, 0.0, 0.20, 1, None),
    ("DE-L1", "DEC-DESK", 260, 0.0, 0.0, 0, None),
    ("DE-L2", "DEC-DESK", 230, 0.0, 0.0, 0, None),
    ("DE-MNT", "DEC-DESK", 210, 0.0, 0.0, 0, None),
    ("DE-L1", "DEC-SVC", 450, -0.022, 0.05, 0, "tickets"),
    ("DE-L2", "DEC-SVC", 390, -0.022, 0.05, 0, "tickets"),
    ("DE-MNT", "DEC-SVC", 330, -0.022, 0.05, 0, "tickets"),
    ("C-ALT", "DC-COMP", 1750000, 0.004, 0.06, 1, "holidays"),
    ("C-LAB", "DC-COMP", 380000, 0.07, 0.06, 1, None),
    ("C-WW", "DC-COMP", 520000, 0.0, 0.03, 1, None),
    ("C-DEC", "DC-COMP", 430000, 0.0, 0.03, 1, None),
    ("FIN", "DC-COMP", 310000, 0.0, 0.03, 1, "quarter_close"),
    ("HR", "DC-COMP", 140000, 0.0, 0.03, 1, None),
    ("SCM", "DC-COMP", 420000, 0.005, 0.04, 1, None),
    ("C-ALT", "DC-STOR", 620000, 0.012, 0.01, 1, None),
    ("C-LAB", "DC-STOR", 90000, 0.05, 0.02, 1, None),
    ("C-WW", "DC-STOR", 160000, 0.006, 0.01, 1, None),
    ("C-DEC", "DC-STOR", 130000, 0.006, 0.01, 1, None),
    ("FIN", "DC-STOR", 180000, 0.008, 0.01, 1, None),
    ("HR", "DC-STOR", 70000, 0.005, 0.01, 1, None),
    ("SCM", "DC-STOR", 210000, 0.01, 0.01, 1, None),
]
# ALT resells most of the DC compute it buys as its HPC service, split over the labs
ALT_HPC_SPLIT = [("AL-CHEM", 0.35), ("AL-MAT", 0.30), ("AL-BIO", 0.25), ("AL-PILOT", 0.10)]
ALT_HPC_RESOLD = 0.93
# ... and the Innovation Lab runs its prototype simulations on ALT's HPC: C-LAB buys this
# share on top (no noise, so the generator's random stream, and every other figure, stay)
ALT_HPC_TO_LAB = 0.06

# service chains (docs/chains.md): service -> the other units' services it depends on;
# LAB-PROTO <- ALT-HPC <- DC-COMP is a chain of three services across three units
DEPENDENCIES = [
    ("ALT-HPC", "DC-COMP"), ("ALT-HPC", "DC-STOR"),
    ("LAB-PROTO", "ALT-HPC"),
    ("LAB-SBX", "DC-COMP"),
    ("WW-MES", "DC-COMP"), ("WW-MES", "DC-STOR"),
]

# reserved cores per consumer of the data center (driver of DC's unrecovered cost)
RESERVED_CORES = [("C-ALT", 2400, 0.0), ("C-LAB", 520, 0.06), ("C-WW", 720, 0.0), ("C-DEC", 600, 0.0),
                  ("FIN", 430, 0.0), ("HR", 200, 0.0), ("SCM", 580, 0.004)]

DC_CORES = {"before": 7800, "after": 6900}  # legacy cluster retired in RATE_CHANGE

R_AND_D = ["AL-CHEM", "AL-MAT", "AL-BIO", "AL-PILOT", "RD-PM", "RD-NPD", "RD-DIGI"]
RULES = {
    "HQ": [
        {"pool": "labor", "method": "driver", "driver": "headcount"},
        {"pool": "facilities", "method": "driver", "driver": "floor_space_m2"},
        {"pool": "software", "method": "fixed", "splits": [
            {"consumer": "FIN", "percent": 40}, {"consumer": "HR", "percent": 25},
            {"consumer": "SCM", "percent": 35}]},
    ],
    "RND": [{"pool": "all", "method": "driver", "driver": "headcount", "consumers": R_AND_D}],
    "MFG": [{"pool": "all", "method": "fixed", "splits": [
        {"consumer": "WW-L1", "percent": 22}, {"consumer": "WW-L2", "percent": 20},
        {"consumer": "WW-QA", "percent": 8}, {"consumer": "WW-WH", "percent": 8},
        {"consumer": "DE-L1", "percent": 18}, {"consumer": "DE-L2", "percent": 16},
        {"consumer": "DE-MNT", "percent": 8}]}],
    "ALT": [{"pool": "unrecovered", "method": "driver", "driver": "headcount",
             "consumers": ["AL-CHEM", "AL-MAT", "AL-BIO", "AL-PILOT", "RD-PM"]}],
    "LAB": [{"pool": "internal", "method": "driver", "driver": "headcount", "consumers": ["RD-NPD", "RD-DIGI"]}],
    "WW": [{"pool": "unrecovered", "method": "driver", "driver": "headcount",
            "consumers": ["WW-L1", "WW-L2", "WW-QA", "WW-WH"]}],
    "DEC": [{"pool": "unrecovered", "method": "driver", "driver": "headcount",
             "consumers": ["DE-L1", "DE-L2", "DE-MNT"]}],
    "DC": [{"pool": "unrecovered", "method": "driver", "driver": "reserved_cores",
            "consumers": ["C-ALT", "C-LAB", "C-WW", "C-DEC", "FIN", "HR", "SCM"]}],
}


def _on_budget(w: int = 1, at=(1.00, 1.03, 1.06)) -> dict:
    return {"key": "on_budget", "label": "Spend within budget", "expr": "spend / budget",
            "direction": "lower", "method": "bands",
            "bands": [{"at": at[0], "score": 100}, {"at": at[1], "score": 70}, {"at": at[2], "score": 40}],
            "weight": w}


SCORECARDS = {
    "WW": {"unit": "WW", "effective_from": "2025-11", "criteria": [
        {"key": "cost_per_seat", "label": "Desktop cost per seat", "expr": "desktop_spend / seats",
         "direction": "lower", "method": "linear", "target": 45, "floor": 65, "weight": 3},
        {"key": "availability", "label": "Plant systems availability (%)", "expr": "availability",
         "direction": "higher", "method": "linear", "target": 99.5, "floor": 98.0, "weight": 2},
        {"key": "first_day_fix", "label": "First-day fix rate (%)", "expr": "first_day_fix_pct",
         "direction": "higher", "method": "binary", "target": 80, "weight": 1},
    ]},
    "DEC": {"unit": "DEC", "effective_from": "2025-11", "criteria": [
        {"key": "cost_per_seat", "label": "Desktop cost per seat", "expr": "desktop_spend / seats",
         "direction": "lower", "method": "linear", "target": 48, "floor": 70, "weight": 3},
        {"key": "availability", "label": "Plant systems availability (%)", "expr": "availability",
         "direction": "higher", "method": "linear", "target": 99.5, "floor": 98.0, "weight": 2},
        {"key": "first_day_fix", "label": "First-day fix rate (%)", "expr": "first_day_fix_pct",
         "direction": "higher", "method": "binary", "target": 80, "weight": 1},
        {"key": "tickets_per_seat", "label": "Tickets per seat", "expr": "tickets / seats",
         "direction": "lower", "method": "linear", "target": 1.2, "floor": 2.0, "weight": 1},
        _on_budget(),
    ]},
    "ALT": {"unit": "ALT", "effective_from": "2025-11", "criteria": [
        {"key": "csat", "label": "Researcher satisfaction", "expr": "researcher_csat",
         "direction": "higher", "method": "linear", "target": 4.5, "floor": 3.5, "weight": 3},
        {"key": "turnaround", "label": "Request turnaround (days)", "expr": "turnaround_days",
         "direction": "lower", "method": "linear", "target": 2, "floor": 7, "weight": 2},
        _on_budget(1, (1.00, 1.05, 1.10)),
    ]},
    "ALT-v2": {"unit": "ALT", "effective_from": "2026-07", "criteria": [
        {"key": "csat", "label": "Researcher satisfaction", "expr": "researcher_csat",
         "direction": "higher", "method": "linear", "target": 4.5, "floor": 3.5, "weight": 3},
        {"key": "turnaround", "label": "Request turnaround (days)", "expr": "turnaround_days",
         "direction": "lower", "method": "linear", "target": 1.5, "floor": 6, "weight": 2},
        {"key": "queue_wait", "label": "HPC queue wait (hours)", "expr": "hpc_queue_wait_hours",
         "direction": "lower", "method": "linear", "target": 2, "floor": 12, "weight": 1},
        # the HPC cluster's availability, a service level result of the catalog
        {"key": "hpc_availability", "label": "HPC availability (%)",
         "expr": "sla.ALT-HPC.availability", "direction": "higher", "method": "linear",
         "target": 99.5, "floor": 98.5, "weight": 1},
        _on_budget(1, (1.00, 1.05, 1.10)),
    ]},
    # a venture: its budget is a funding envelope over the fiscal year (rules/envelope.py)
    "LAB": {"unit": "LAB", "effective_from": "2025-11", "criteria": [
        {"key": "milestones", "label": "Milestones met against plan",
         "expr": "milestones_met / milestones_planned", "direction": "higher", "method": "linear",
         "target": 1.0, "floor": 0.5, "weight": 3},
        {"key": "runway", "label": "Runway (months of envelope left at the current burn)",
         "expr": "runway_months", "direction": "higher", "method": "linear", "target": 6, "floor": 2,
         "weight": 2},
        {"key": "learning", "label": "Learning goals met against plan",
         "expr": "learning_goals_met / learning_goals_planned", "direction": "higher",
         "method": "linear", "target": 1.0, "floor": 0.4, "weight": 2},
        {"key": "time_to_market", "label": "Idea to pilot (days)", "expr": "time_to_market_days",
         "direction": "lower", "method": "linear", "target": 60, "floor": 180, "weight": 1},
    ]},
    "DC": {"unit": "DC", "effective_from": "2025-11", "criteria": [
        {"key": "availability", "label": "Platform availability (%)", "expr": "availability",
         "direction": "higher", "method": "linear", "target": 99.95, "floor": 99.5, "weight": 3},
        {"key": "cost_per_core_hour", "label": "Compute cost per core-hour",
         "expr": "spend_tower_compute / core_hours_delivered",
         "direction": "lower", "method": "linear", "target": 0.03, "floor": 0.045, "weight": 2},
        {"key": "utilisation", "label": "Compute utilisation (%)", "expr": "utilisation_pct",
         "direction": "higher", "method": "bands",
         "bands": [{"at": 60, "score": 40}, {"at": 70, "score": 70}, {"at": 80, "score": 100}], "weight": 1},
        _on_budget(),
    ]},
}

# fmt: on

# --------------------------------------------------------------------------- helpers


def month_of(i: int) -> int:
    return int(PERIODS[i][5:])


def days_in(i: int) -> int:
    y, m = PERIODS[i].split("-")
    return calendar.monthrange(int(y), int(m))[1]


def shape(name: str | None, i: int) -> float:
    """Per-period factor of a named seasonal or one-off pattern."""
    mo = month_of(i)
    after = PERIODS[i] >= RATE_CHANGE
    if name is None:
        return 1.0
    if name == "summer":  # cooling
        return {6: 1.10, 7: 1.14, 8: 1.12, 5: 1.04, 9: 1.04}.get(mo, 1.0)
    if name == "consolidation":  # legacy cluster fully depreciated and retired
        return 48000 / 62000 if after else 1.0
    if name == "consolidation_sw":  # fewer hosts to license
        return 0.88 if after else 1.0
    if name == "holidays":  # research slows over the holidays, peaks before summer
        return {12: 0.82, 1: 0.95, 4: 1.05, 5: 1.08, 8: 0.9}.get(mo, 1.0)
    if name == "tickets":  # new-year password resets and patch waves
        return {1: 1.14, 2: 1.04, 12: 0.93, 7: 0.95}.get(mo, 1.0)
    if name == "quarter_close":  # finance batch jobs at quarter and year end
        return 1.25 if mo in (12, 3, 6, 9) else 1.0
    raise ValueError(name)


def dec(x: float, places: int) -> Decimal:
    q = Decimal(1).scaleb(-places)
    return Decimal(repr(x)).quantize(q, rounding=ROUND_HALF_UP)


def fmt(d: Decimal) -> str:
    return format(d, "f")


class Gen:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)

    def noise(self, pct: float) -> float:
        return 1.0 + self.rng.uniform(-pct, pct) if pct else 1.0

    def walk(self, start: float, end: float, i: int, jitter: float) -> float:
        """A value moving from start to end over the year, with jitter."""
        t = i / (len(PERIODS) - 1)
        return start + (end - start) * t + self.rng.uniform(-jitter, jitter)


def rate_in_force(service: str, period: str) -> Decimal | None:
    best = None
    for code, eff, price in RATES:
        if code == service and eff <= period and (best is None or eff >= best[0]):
            best = (eff, Decimal(price))
    return best[1] if best else None


# --------------------------------------------------------------------------- build


def build() -> dict:
    g = Gen()
    rows: dict[str, list[list[str]]] = {k: [] for k in HEADERS}

    rows["units"] = [list(u) for u in UNITS]
    rows["consumers"] = [[c, n, gl, ""] for c, n, gl, *_ in BUSINESS] + [
        list(c) for c in UNIT_CONSUMERS
    ]
    rows["services"] = [list(s) for s in SERVICES]
    rows["rates"] = [list(r) for r in RATES]
    rows["offerings"] = [list(o) for o in OFFERINGS]
    rows["sla_targets"] = [list(t) for t in SLA_TARGETS]
    sla = random.Random(SLA_SEED)
    for i, p in enumerate(PERIODS):
        t = i / (len(PERIODS) - 1)
        for svc, offering, measure, start, end, jitter, places_ in SLA_WALKS:
            value = start + (end - start) * t + sla.uniform(-jitter, jitter)
            if measure == "availability" or measure.endswith("_pct"):
                value = min(value, 100.0)  # a percentage: the import refuses more than 100
            rows["sla_results"].append([p, svc, offering, measure, fmt(dec(value, places_))])
    rows["dependencies"] = [list(d) for d in DEPENDENCIES]

    unit_of_consumer = {c: u for c, _, _, u in UNIT_CONSUMERS}

    # usage (expected values kept for the budget plan)
    usage_actual: dict[tuple[str, str, str], Decimal] = {}
    usage_expected: dict[tuple[str, str, str], float] = {}
    for i, p in enumerate(PERIODS):
        for cons, svc, base, growth, noise, places, shp in USAGE:
            exp = base * (1 + growth) ** i * shape(shp, i)
            usage_expected[(p, cons, svc)] = exp
            usage_actual[(p, cons, svc)] = dec(exp * g.noise(noise), places)
        resold = float(usage_actual[(p, "C-ALT", "DC-COMP")]) * ALT_HPC_RESOLD
        for cons, share in ALT_HPC_SPLIT:
            usage_actual[(p, cons, "ALT-HPC")] = dec(resold * share * g.noise(0.05), 1)
        usage_actual[(p, "C-LAB", "ALT-HPC")] = dec(resold * ALT_HPC_TO_LAB, 1)
        usage_expected[(p, "C-LAB", "ALT-HPC")] = (
            usage_expected[(p, "C-ALT", "DC-COMP")] * ALT_HPC_RESOLD * ALT_HPC_TO_LAB)
    svc_order = {s[0]: n for n, s in enumerate(SERVICES)}
    for key in sorted(usage_actual, key=lambda k: (k[0], svc_order[k[2]], k[1])):
        rows["usage"].append([key[0], key[1], key[2], fmt(usage_actual[key])])

    # spend
    unit_order = {u[0]: n for n, u in enumerate(UNITS)}
    spend_expected: dict[tuple[str, str], float] = {}
    tower_actual: dict[tuple[str, str, str], Decimal] = {}
    for i, p in enumerate(PERIODS):
        lines = []
        for unit, pool, tower, acct, desc, base, growth, noise, shp in SPEND:
            exp = base * (1 + growth) ** i * shape(shp, i)
            spend_expected[(p, unit)] = spend_expected.get((p, unit), 0.0) + exp
            lines.append((unit, pool, tower, acct, desc, dec(exp * g.noise(noise), 2)))
        if p == CREDIT_PERIOD:
            lines.append(CREDIT)
        lines.sort(key=lambda ln: unit_order[ln[0]])  # stable: keeps the SPEND order inside a unit
        for unit, pool, tower, acct, desc, amount in lines:
            rows["spend"].append([p, unit, pool, fmt(amount), tower, acct, desc])
            k = (p, unit, tower)
            tower_actual[k] = tower_actual.get(k, Decimal(0)) + amount

    # budget: the plan is the noise-free expected spend, internal DC charges included
    for i, p in enumerate(PERIODS):
        internal = {u: 0.0 for u in unit_order}
        for (pp, cons, svc), exp in usage_expected.items():
            if pp == p and cons in unit_of_consumer:
                internal[unit_of_consumer[cons]] += exp * float(rate_in_force(svc, p)) * 1.02
        for unit, *_ in UNITS:
            factor, drift = BUDGET_PLAN[unit]
            plan = (spend_expected.get((p, unit), 0.0) + internal[unit]) * factor * drift**i
            amount = (Decimal(repr(plan)) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 100
            rows["budget"].append([p, unit, fmt(amount.quantize(CENT))])
    october = next(r[2] for r in rows["budget"] if r[:2] == [PERIODS[-1], "LAB"])
    rows["budget"] += [[p, "LAB", october] for p in VENTURE_ENVELOPE_MONTHS]

    # drivers
    for i, p in enumerate(PERIODS):
        for cons, _, _, head0, drift, m2 in BUSINESS:
            head = round(head0 * (1 + drift) ** i + g.rng.choice((-1, 0, 0, 1)))
            rows["drivers"].append([p, cons, "headcount", str(head)])
            rows["drivers"].append([p, cons, "floor_space_m2", fmt(dec(head0 * m2, 1))])
        for cons, cores0, growth in RESERVED_CORES:
            cores = int(round(cores0 * (1 + growth) ** i / 8.0)) * 8
            rows["drivers"].append([p, cons, "reserved_cores", str(cores)])

    # metrics
    def seats(p: str, svc: str) -> Decimal:
        return sum(
            (q for (pp, _, s), q in usage_actual.items() if pp == p and s == svc), Decimal(0)
        )

    for i, p in enumerate(PERIODS):
        m: list[tuple[str, str, Decimal]] = []
        after = p >= RATE_CHANGE
        # Walla Walla: flat, steady operations
        m += [
            ("WW", "desktop_spend", tower_actual[(p, "WW", "end_user")]),
            ("WW", "seats", seats(p, "WW-DESK")),
            ("WW", "availability", dec(g.walk(99.2, 99.35, i, 0.2), 2)),
            ("WW", "first_day_fix_pct", dec(g.walk(81.5, 83.5, i, 2.8), 1)),
            ("WW", "tickets", seats(p, "WW-SVC")),
        ]
        # Decatur: improvement programme, starts weak
        m += [
            ("DEC", "desktop_spend", tower_actual[(p, "DEC", "end_user")]),
            ("DEC", "seats", seats(p, "DEC-DESK")),
            ("DEC", "availability", dec(g.walk(98.7, 99.35, i, 0.15), 2)),
            ("DEC", "first_day_fix_pct", dec(g.walk(73.0, 83.0, i, 1.5), 1)),
            ("DEC", "tickets", seats(p, "DEC-SVC")),
        ]
        # Altoona: white-glove research support
        m += [
            ("ALT", "researcher_csat", dec(g.walk(4.35, 4.6, i, 0.12), 2)),
            ("ALT", "turnaround_days", dec(g.walk(4.0, 2.6, i, 0.35), 1)),
            ("ALT", "seats", seats(p, "ALT-WS")),
            ("ALT", "desktop_spend", tower_actual[(p, "ALT", "end_user")]),
            ("ALT", "hpc_queue_wait_hours", dec(g.walk(9.0, 3.0, i, 1.0), 1)),
        ]
        # Innovation Lab: growing, faster from idea to pilot
        m += [
            ("LAB", "prototypes_shipped", Decimal(max(0, round(g.walk(1.5, 5.5, i, 1.2))))),
            ("LAB", "time_to_market_days", Decimal(round(g.walk(150, 80, i, 10)))),
            ("LAB", "new_capability_pct", dec(g.walk(9.0, 27.0, i, 2.0), 1)),
            # the venture's plan and what it met (fixed, so no other figure's draw moves)
            ("LAB", "milestones_planned", Decimal(4)),
            ("LAB", "milestones_met", Decimal(LAB_MILESTONES_MET[i])),
            ("LAB", "learning_goals_planned", Decimal(3)),
            ("LAB", "learning_goals_met", Decimal(LAB_LEARNING_MET[i])),
        ]
        # Central data center
        core_hours = seats(p, "DC-COMP")
        cores = DC_CORES["after" if after else "before"]
        util = core_hours / Decimal(cores * days_in(i) * 24) * 100
        avail = Decimal("99.71") if p == "2026-01" else dec(g.walk(99.93, 99.97, i, 0.025), 3)
        m += [
            ("DC", "availability", avail),
            ("DC", "core_hours_delivered", core_hours),
            ("DC", "storage_gb_delivered", seats(p, "DC-STOR")),
            ("DC", "utilisation_pct", util.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)),
        ]
        for unit, measure, value in m:
            if (p, unit, measure) == GAP:
                continue  # the deliberate gap: criterion "csat" is not rated this month
            rows["metrics"].append([p, unit, measure, fmt(value)])

    return rows


# --------------------------------------------------------------------------- write


def dump_json(doc: dict) -> str:
    """JSON with one criterion / rule per line, as a person would lay it out."""
    parts = []
    for key, value in doc.items():
        if isinstance(value, list):
            inner = ",\n".join("    " + json.dumps(x, ensure_ascii=False) for x in value)
            parts.append(f"  {json.dumps(key)}: [\n{inner}\n  ]")
        else:
            parts.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    text = "{\n" + ",\n".join(parts) + "\n}\n"
    assert json.loads(text) == doc
    return text


def write(rows: dict) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for kind, header in HEADERS.items():
        with open(OUT / f"{kind}.csv", "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows[kind])
    for sub, items in (
        ("scorecards", SCORECARDS),
        ("rules", {u: {"unit": u, "rules": r} for u, r in RULES.items()}),
    ):
        (OUT / sub).mkdir(exist_ok=True)
        for name, doc in items.items():
            text = dump_json(doc)
            (OUT / sub / f"{name}.json").write_text(text, encoding="utf-8", newline="\n")


# --------------------------------------------------------------------------- validate

NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])\Z")
TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|(sla\.[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[a-z][a-z0-9_]*){1,2}"
                   r"|[A-Za-z_][A-Za-z0-9_]*)|([-+*/()]))")


def read_csv(kind: str) -> list[dict]:
    path = OUT / f"{kind}.csv"
    raw = path.read_bytes()
    if b"\r" in raw:
        raise ValueError(f"{kind}.csv: carriage return in file")
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header != HEADERS[kind]:
            raise ValueError(f"{kind}.csv: header {header} != {HEADERS[kind]}")
        return [dict(zip(header, r, strict=True)) for r in reader]


def places(s: str) -> int:
    d = Decimal(s)
    if not d.is_finite():
        raise InvalidOperation(s)
    return max(0, -d.as_tuple().exponent)


def expr_names(expr: str) -> set[str]:
    """Names in an arithmetic expression; raises on anything else (a tiny recursive parser)."""
    toks: list[tuple[str, str]] = []
    pos = 0
    while pos < len(expr.rstrip()):
        mt = TOKEN.match(expr, pos)
        if not mt or mt.end() == pos:
            raise ValueError(f"bad token at {pos} in {expr!r}")
        num, name, op = mt.groups()
        toks.append(("num", num) if num else ("name", name) if name else ("op", op))
        pos = mt.end()
    names: set[str] = set()
    k = 0

    def atom() -> None:
        nonlocal k
        if k >= len(toks):
            raise ValueError(f"unexpected end of {expr!r}")
        kind, val = toks[k]
        k += 1
        if kind == "op" and val in "+-":
            atom()
        elif kind == "op" and val == "(":
            sum_()
            if k >= len(toks) or toks[k] != ("op", ")"):
                raise ValueError(f"missing ) in {expr!r}")
            k += 1
        elif kind == "name":
            names.add(val)
        elif kind != "num":
            raise ValueError(f"unexpected {val!r} in {expr!r}")

    def term() -> None:
        nonlocal k
        atom()
        while k < len(toks) and toks[k] in (("op", "*"), ("op", "/")):
            k += 1
            atom()

    def sum_() -> None:
        nonlocal k
        term()
        while k < len(toks) and toks[k] in (("op", "+"), ("op", "-")):
            k += 1
            term()

    sum_()
    if k != len(toks):
        raise ValueError(f"trailing tokens in {expr!r}")
    return names


def validate() -> list[str]:
    errs: list[str] = []
    data = {kind: read_csv(kind) for kind in HEADERS}
    periods = set(PERIODS)

    def unique(kind: str, cols: tuple[str, ...]) -> None:
        seen = set()
        for n, r in enumerate(data[kind], start=2):
            key = tuple(r[c] for c in cols)
            if key in seen:
                errs.append(f"{kind}.csv line {n}: duplicate {cols} {key}")
            seen.add(key)

    unique("units", ("code",))
    unique("consumers", ("code",))
    unique("services", ("code",))
    unique("rates", ("service_code", "effective_from"))
    unique("budget", ("period", "unit_code"))
    unique("metrics", ("period", "unit_code", "measure"))
    unique("drivers", ("period", "consumer_code", "driver"))
    unique("usage", ("period", "consumer_code", "service_code"))

    units = {r["code"]: r for r in data["units"]}
    consumers = {r["code"]: r for r in data["consumers"]}
    services = {r["code"]: r for r in data["services"]}

    roots = [u for u, r in units.items() if r["parent_code"] == ""]
    if roots != ["HQ"]:
        errs.append(f"units: expected one root HQ, got {roots}")
    for n, r in enumerate(data["units"], start=2):
        if r["parent_code"] and r["parent_code"] not in units:
            errs.append(f"units.csv line {n}: unknown parent {r['parent_code']}")
        if r["service_model"] not in MODELS:
            errs.append(f"units.csv line {n}: service model {r['service_model']}")
        if r["billing_mode"] not in ("chargeback", "showback"):
            errs.append(f"units.csv line {n}: billing mode {r['billing_mode']}")
        if not r["recovery_account"] or "@" not in r["head_email"]:
            errs.append(f"units.csv line {n}: recovery account / head e-mail")
    for u in units:  # the tree has no loop
        seen, cur = set(), u
        while cur:
            if cur in seen:
                errs.append(f"units: parent loop at {u}")
                break
            seen.add(cur)
            cur = units[cur]["parent_code"] if cur in units else ""
    parents = {r["parent_code"] for r in data["units"]}
    leaves = [u for u in units if u not in parents]
    models = {units[u]["service_model"] for u in units}
    if len(units) < 7 or len(leaves) < 5 or models != MODELS:
        errs.append(f"units: {len(units)} units, {len(leaves)} leaves, models {sorted(models)}")
    business = [c for c, r in consumers.items() if not r["unit_code"]]
    if len(business) < 12:
        errs.append(f"consumers: only {len(business)} business consumers")
    for n, r in enumerate(data["consumers"], start=2):
        if r["unit_code"] and r["unit_code"] not in units:
            errs.append(f"consumers.csv line {n}: unknown unit {r['unit_code']}")
        if not r["gl_account"]:
            errs.append(f"consumers.csv line {n}: no GL account")
    for n, r in enumerate(data["services"], start=2):
        if r["unit_code"] not in units:
            errs.append(f"services.csv line {n}: unknown unit {r['unit_code']}")
    for n, r in enumerate(data["rates"], start=2):
        if r["service_code"] not in services:
            errs.append(f"rates.csv line {n}: unknown service")
        if not PERIOD.match(r["effective_from"]):
            errs.append(f"rates.csv line {n}: period {r['effective_from']}")
        try:
            if places(r["price"]) > 6 or Decimal(r["price"]) <= 0:
                errs.append(f"rates.csv line {n}: price {r['price']}")
        except InvalidOperation:
            errs.append(f"rates.csv line {n}: price {r['price']}")
    if not any(r["effective_from"] > PERIODS[0] for r in data["rates"]):
        errs.append("rates: no mid-year rate change")

    def check_rows(
        kind: str, code_col: str, known: dict, qty_col: str, max_places: int | None
    ) -> None:
        for n, r in enumerate(data[kind], start=2):
            venture_row = (kind == "budget" and r[code_col] == "LAB"
                           and r["period"] in VENTURE_ENVELOPE_MONTHS)
            if (r["period"] not in periods and not venture_row) or not PERIOD.match(r["period"]):
                errs.append(f"{kind}.csv line {n}: period {r['period']}")
            if r[code_col] not in known:
                errs.append(f"{kind}.csv line {n}: unknown {code_col} {r[code_col]}")
            try:
                if max_places is not None and places(r[qty_col]) > max_places:
                    errs.append(
                        f"{kind}.csv line {n}: {qty_col} {r[qty_col]} has too many decimals"
                    )
            except InvalidOperation:
                errs.append(f"{kind}.csv line {n}: {qty_col} {r[qty_col]} is not a number")

    check_rows("spend", "unit_code", units, "amount", 2)
    check_rows("budget", "unit_code", units, "amount", 2)
    check_rows("metrics", "unit_code", units, "value", None)
    check_rows("usage", "consumer_code", consumers, "quantity", None)
    check_rows("drivers", "consumer_code", consumers, "quantity", None)
    for n, r in enumerate(data["usage"], start=2):
        if r["service_code"] not in services:
            errs.append(f"usage.csv line {n}: unknown service {r['service_code']}")
        elif rate_in_force(r["service_code"], r["period"]) is None:
            errs.append(
                f"usage.csv line {n}: no rate in force for {r['service_code']} {r['period']}"
            )
        if Decimal(r["quantity"]) < 0:
            errs.append(f"usage.csv line {n}: negative quantity")
    for n, r in enumerate(data["spend"], start=2):
        if (
            r["cost_pool"] in RESERVED_POOLS
            or not NAME.match(r["cost_pool"])
            or not NAME.match(r["tower"])
        ):
            errs.append(f"spend.csv line {n}: pool/tower {r['cost_pool']}/{r['tower']}")
        if r["description"][:1] in "=+-@":
            errs.append(f"spend.csv line {n}: description starts with a formula character")
    if not any(Decimal(r["amount"]) < 0 for r in data["spend"]):
        errs.append("spend: no credit line")
    for r in data["metrics"] + data["drivers"]:
        name = r.get("measure") or r.get("driver")
        if not NAME.match(name):
            errs.append(f"metrics/drivers: bad name {name}")
    for kind in ("budget",):
        have = {(r["period"], r["unit_code"]) for r in data[kind]}
        for p in PERIODS:
            for u in units:
                if (p, u) not in have:
                    errs.append(f"budget: missing {u} {p}")

    usage_by = {}
    for r in data["usage"]:
        usage_by.setdefault((r["period"], r["service_code"]), []).append(r["consumer_code"])
    for s, r in services.items():
        if units[r["unit_code"]]["billing_mode"] == "chargeback":
            for p in PERIODS:
                if (p, s) not in usage_by:
                    errs.append(f"usage: service {s} of a chargeback unit has no usage in {p}")
    for c, r in consumers.items():
        if r["unit_code"]:
            for p in PERIODS:
                if not any(
                    c in usage_by.get((p, s), [])
                    for s in services
                    if services[s]["unit_code"] == "DC"
                ):
                    errs.append(f"usage: unit consumer {c} uses no DC service in {p}")

    # service dependencies: known services of two different units, no cycle
    depends: dict[str, set[str]] = {}
    for n, r in enumerate(data["dependencies"], start=2):
        s_, up = r["service_code"], r["depends_on"]
        if s_ not in services or up not in services:
            errs.append(f"dependencies.csv line {n}: unknown service")
        elif services[s_]["unit_code"] == services[up]["unit_code"]:
            errs.append(f"dependencies.csv line {n}: {s_} and {up} are of one unit")
        depends.setdefault(s_, set()).add(up)

    def dependency_cycle(s_: str, stack: tuple[str, ...]) -> bool:
        if s_ in stack:
            errs.append(f"dependency cycle: {' -> '.join(stack + (s_,))}")
            return True
        return any(dependency_cycle(u, stack + (s_,)) for u in sorted(depends.get(s_, ())))

    for s_ in sorted(depends):
        if dependency_cycle(s_, ()):
            break

    # the cascade has no cycle: edge consumer unit -> provider unit
    edges: dict[str, set[str]] = {}
    for r in data["usage"]:
        u = consumers[r["consumer_code"]]["unit_code"] if r["consumer_code"] in consumers else ""
        if u:
            edges.setdefault(u, set()).add(services[r["service_code"]]["unit_code"])
    for doc in RULES.items():
        for rule in doc[1]:
            targets = rule.get("consumers", []) + [s["consumer"] for s in rule.get("splits", [])]
            for c in targets:
                if consumers.get(c, {}).get("unit_code"):
                    edges.setdefault(consumers[c]["unit_code"], set()).add(doc[0])

    def cyclic(u: str, stack: tuple[str, ...]) -> bool:
        if u in stack:
            errs.append(f"cascade cycle: {' -> '.join(stack + (u,))}")
            return True
        return any(cyclic(v, stack + (u,)) for v in sorted(edges.get(u, ())))

    for u in sorted(edges):
        if cyclic(u, ()):
            break

    # measures per unit and period (observed + ledger)
    measures: dict[str, set[str]] = {}
    for r in data["metrics"]:
        measures.setdefault(r["unit_code"], set()).add(r["measure"])
    for r in data["spend"]:
        ms = measures.setdefault(r["unit_code"], set())
        ms |= {"spend", f"spend_pool_{r['cost_pool']}", f"spend_tower_{r['tower']}"}
    for u in units:
        measures.setdefault(u, set()).update({"spend", "budget", "charged", "spend_pool_internal",
                                              "envelope", "envelope_spent", "runway_months"})
    for r in data["sla_results"]:  # a service level result: sla.SERVICE[.OFFERING].measure
        u = services[r["service_code"]]["unit_code"]
        name = ".".join(x for x in ("sla", r["service_code"], r["offering"], r["measure"]) if x)
        measures.setdefault(u, set()).add(name)
    errs += validate_catalog(data, services)
    metric_keys = {(r["period"], r["unit_code"], r["measure"]) for r in data["metrics"]}
    gaps = []
    for u in units:
        for ms in {r["measure"] for r in data["metrics"] if r["unit_code"] == u}:
            gaps += [(p, u, ms) for p in PERIODS if (p, u, ms) not in metric_keys]
    if gaps != [GAP]:
        errs.append(f"metrics: expected exactly the gap {GAP}, found {gaps}")

    # scorecards
    scored = set()
    for path in sorted((OUT / "scorecards").glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        where = f"scorecards/{path.name}"
        if set(doc) != {"unit", "effective_from", "criteria"}:
            errs.append(f"{where}: keys {sorted(doc)}")
        u = doc.get("unit")
        if u not in units:
            errs.append(f"{where}: unknown unit {u}")
            continue
        scored.add(u)
        if not PERIOD.match(doc["effective_from"]) or doc["effective_from"] not in periods:
            errs.append(f"{where}: effective_from {doc['effective_from']}")
        crit = doc["criteria"]
        if not 3 <= len(crit) <= 5 or len({c["key"] for c in crit}) != len(crit):
            errs.append(f"{where}: {len(crit)} criteria or duplicate keys")
        for c in crit:
            try:
                for name in expr_names(c["expr"]):
                    if name not in measures[u]:
                        errs.append(f"{where}: {c['key']}: measure {name} never seen for {u}")
            except ValueError as e:
                errs.append(f"{where}: {c['key']}: {e}")
            if c["direction"] not in ("higher", "lower") or not c["weight"] > 0:
                errs.append(f"{where}: {c['key']}: direction/weight")
            if c["method"] == "linear":
                ok = (
                    c["target"] > c["floor"]
                    if c["direction"] == "higher"
                    else c["target"] < c["floor"]
                )
                if not ok or "bands" in c:
                    errs.append(f"{where}: {c['key']}: target/floor order")
            elif c["method"] == "binary":
                if "target" not in c or "floor" in c or "bands" in c:
                    errs.append(f"{where}: {c['key']}: binary needs target only")
            elif c["method"] == "bands":
                if (
                    not c.get("bands")
                    or any(not 0 <= b["score"] <= 100 for b in c["bands"])
                    or "target" in c
                ):
                    errs.append(f"{where}: {c['key']}: bands")
            else:
                errs.append(f"{where}: {c['key']}: method {c['method']}")
    if not set(leaves) <= scored:
        errs.append(f"scorecards: leaves without one: {sorted(set(leaves) - scored)}")

    # rules
    drivers: dict[tuple[str, str], dict[str, Decimal]] = {}
    for r in data["drivers"]:
        drivers.setdefault((r["period"], r["driver"]), {})[r["consumer_code"]] = Decimal(
            r["quantity"]
        )
    pools = {}
    for r in data["spend"]:
        pools.setdefault(r["unit_code"], set()).add(r["cost_pool"])
    for path in sorted((OUT / "rules").glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        where = f"rules/{path.name}"
        u = doc.get("unit")
        if u not in units or path.stem != u:
            errs.append(f"{where}: unit {u}")
            continue
        charged_pools = []
        for k, rule in enumerate(doc["rules"]):
            pool = rule["pool"]
            charged_pools.append(pool)
            if pool not in RESERVED_POOLS and pool not in pools.get(u, set()):
                errs.append(f"{where} rule {k}: {u} has no spend in pool {pool}")
            if rule["method"] == "driver":
                for p in PERIODS:
                    d = drivers.get((p, rule["driver"]), {})
                    targets = rule.get("consumers") or sorted(d)
                    for c in targets:
                        if c not in consumers:
                            errs.append(f"{where} rule {k}: unknown consumer {c}")
                        elif d.get(c, Decimal(0)) <= 0:
                            errs.append(f"{where} rule {k}: {c} has no {rule['driver']} in {p}")
                    if not targets:
                        errs.append(f"{where} rule {k}: no consumer has {rule['driver']} in {p}")
            elif rule["method"] == "fixed":
                if sum(Decimal(str(s["percent"])) for s in rule["splits"]) != 100:
                    errs.append(f"{where} rule {k}: splits do not sum to 100")
                for s in rule["splits"]:
                    if s["consumer"] not in consumers:
                        errs.append(f"{where} rule {k}: unknown consumer {s['consumer']}")
            else:
                errs.append(f"{where} rule {k}: method {rule['method']}")
        # pools of one unit must not overlap (no euro shared twice)
        if (
            ("all" in charged_pools and len(charged_pools) > 1)
            or ("unrecovered" in charged_pools and len(charged_pools) > 1)
            or len(set(charged_pools)) != len(charged_pools)
        ):
            errs.append(f"{where}: overlapping pools {charged_pools}")
    for u, r in units.items():
        if u in leaves and r["billing_mode"] == "chargeback":
            doc = json.loads((OUT / "rules" / f"{u}.json").read_text(encoding="utf-8"))
            if not any(x["pool"] == "unrecovered" for x in doc["rules"]):
                errs.append(f"rules/{u}.json: chargeback leaf without an unrecovered rule")
    return errs


def validate_catalog(data: dict, services: dict) -> list[str]:
    """Owners are demo users; offerings name services; targets name offerings; every month
    has every result; values have the places a quantity may have."""
    errs = []
    owners = {ALT_OWNER, RND_OWNER, CIT_OWNER}
    for n, r in enumerate(data["services"], start=2):
        if r["owner_email"] not in owners:
            errs.append(f"services.csv line {n}: owner {r['owner_email']} is not a demo user")
    offerings = {(r["service_code"], r["code"]) for r in data["offerings"]}
    for n, r in enumerate(data["offerings"], start=2):
        if r["service_code"] not in services or not NAME.match(r["code"]):
            errs.append(f"offerings.csv line {n}: {r['service_code']} {r['code']}")
    for kind in ("sla_targets", "sla_results"):
        for n, r in enumerate(data[kind], start=2):
            if r["service_code"] not in services:
                errs.append(f"{kind}.csv line {n}: unknown service {r['service_code']}")
            if r["offering"] and (r["service_code"], r["offering"]) not in offerings:
                errs.append(f"{kind}.csv line {n}: unknown offering {r['offering']}")
            value = r["target"] if kind == "sla_targets" else r["value"]
            if places(value) > 6 or not NAME.match(r["measure"]):
                errs.append(f"{kind}.csv line {n}: {r['measure']} {value}")
            elif ((r["measure"] == "availability" or r["measure"].endswith("_pct"))
                  and not 0 <= Decimal(value) <= 100):
                errs.append(f"{kind}.csv line {n}: {r['measure']} {value} is not 0..100")
    months = {r["period"] for r in data["sla_results"]}
    if months != set(PERIODS) or len(data["sla_results"]) != len(PERIODS) * len(SLA_WALKS):
        errs.append("sla_results: not every result in every month")
    return errs


def main(argv: list[str]) -> int:
    if "--check" not in argv:
        write(build())
    errs = validate()
    for e in errs:
        print(e, file=sys.stderr)
    if errs:
        print(f"{len(errs)} problem(s) in {OUT}", file=sys.stderr)
        return 1
    counts = ", ".join(f"{k} {len(read_csv(k))}" for k in HEADERS)
    print(f"demo data OK in {OUT.relative_to(ROOT)}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
