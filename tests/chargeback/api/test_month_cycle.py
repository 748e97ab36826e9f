"""A month's cycle through the API alone, as the script in docs/api.md runs it: push the
April data (files and JSON rows), close (202, the scheduler runs the queued close), poll
the run, fetch the journal as CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from chargeback import jobs

APRIL = {
    "spend": "period,unit_code,cost_pool,amount,tower,account,description\n"
             "2026-04,DC,compute,1200.00,compute,6010,Servers\n"
             "2026-04,ALT,labor,91000.00,end_user,6020,Staff\n"
             "2026-04,LAB,labor,1400.00,application,6020,Staff\n"
             "2026-04,WW,desktop,48000.00,end_user,6030,Desktops\n",
    "budget": "period,unit_code,amount\n2026-04,ALT,88000.00\n2026-04,WW,52000.00\n",
    "metrics": "period,unit_code,measure,value\n2026-04,WW,desktop_spend,48000\n"
               "2026-04,WW,seats,1000\n2026-04,ALT,researcher_csat,4.4\n",
    "drivers": "period,consumer_code,driver,quantity\n2026-04,LAB1,headcount,1\n"
               "2026-04,LAB2,headcount,3\n",
}
USAGE_ROWS = [
    {"period": "2026-04", "consumer_code": "C-ALT", "service_code": "CPU", "quantity": "12000"},
    {"period": "2026-04", "consumer_code": "LAB1", "service_code": "CPU", "quantity": "2500"},
    {"period": "2026-04", "consumer_code": "LAB1", "service_code": "PROTO", "quantity": "4"},
]


def test_push_close_and_fetch_the_journal(company, api):
    cit = api("central_it")
    for kind, text in APRIL.items():
        response = cit.post(f"/api/v1/imports/{kind}",
                            data={"file": (io.BytesIO(text.encode()), f"{kind}-2026-04.csv")},
                            content_type="multipart/form-data")
        assert response.status_code == 201, (kind, response.get_json())
    pushed = cit.post("/api/v1/imports/usage/rows", json={"rows": USAGE_ROWS,
                                                          "filename": "usage-2026-04.json"})
    assert pushed.status_code == 201, pushed.get_json()

    close = cit.post("/api/v1/periods/2026-04/close")
    assert close.status_code == 202
    run_url = close.headers["Location"]
    assert cit.get(run_url).get_json()["status"] == "queued"
    jobs.bind(company)  # what the scheduler process does every few seconds
    assert [o.status for o in jobs.process_requests()] == ["succeeded"]
    run = cit.get(run_url).get_json()
    assert run["status"] == "succeeded" and run["pack_id"], run
    assert cit.get("/api/v1/periods/2026-04").get_json()["status"] == "closed"
    assert cit.post("/api/v1/periods/2026-04/close").status_code == 409

    journal = cit.get("/api/v1/journal.csv?period=2026-04")
    assert journal.status_code == 200
    lines = list(csv.DictReader(io.StringIO(journal.get_data(as_text=True))))
    debit = sum(Decimal(line["Debit"]) for line in lines)
    credit = sum(Decimal(line["Credit"]) for line in lines)
    assert debit == credit > 0
    by = {(line["Unit"], line["Account"]): line for line in lines}
    assert by[("DC", "6900-ALT")]["Debit"] == "720.00"  # 12000 core-hours at 0.06
    assert by[("WW", "4900-WW")]["Credit"] == "48000.00"
    assert {line["Period"] for line in lines} == {"2026-04"}
    ratings = cit.get("/api/v1/ratings?period=2026-04").get_json()["ratings"]
    assert {r["unit"] for r in ratings} == {"ALT", "LAB", "WW"}
