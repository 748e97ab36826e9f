"""The pure rules of the chargeback platform: scoring, allocation, roll-ups, templates.

No Flask, no SQLAlchemy, no openpyxl, no I/O: values in, ``(result, errors)`` out. The
contracts are /shared/spec/scoring.md and /shared/spec/allocation.md.
"""
