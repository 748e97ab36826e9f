"""The scheduler's jobs: a delivery layer like the web app and the API.

* ``targets``: what the scheduler runs (close a month, the nightly draft pack, the queued
  runs, the sweep of dead runs), each by reference (``chargeback.jobs.targets:close_month``);
* ``scheduler``: the scheduler process; ``worker``: ``chargeback jobs work``;
  ``uploads``: a big upload's import, run as a job;
* ``cli``: ``chargeback scheduler`` and ``chargeback jobs``.

This file imports nothing: ``chargeback jobs --help`` (which imports ``jobs.cli``, hence this
package) must not pay for the services, openpyxl and the pack writer the targets use. The
targets' names are still reachable from the package (``from chargeback import jobs;
jobs.close_month()``, and a job stored as ``chargeback.jobs:close_month`` by an older
scheduler): they are looked up in ``targets`` on first use (PEP 562).
"""

from __future__ import annotations

import importlib


def __getattr__(name: str):
    if name.startswith("__") or name == "targets":  # not "targets": that is the import below
        raise AttributeError(name)
    targets = importlib.import_module("chargeback.jobs.targets")
    try:
        return getattr(targets, name)
    except AttributeError:
        raise AttributeError(f"module 'chargeback.jobs' has no attribute {name!r}") from None
