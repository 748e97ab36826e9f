"""Pack builders: Excel workbooks written with openpyxl from plain dataclasses.

No Flask, no SQLAlchemy, no ``chargeback`` here: the service layer hands over the figures.
"""
