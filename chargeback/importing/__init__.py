"""Importing files: read (``readers``), validate (``schemas``), resolve and store (``kinds``).

The verb the command line, the web app and the API share is
``chargeback.services.importing.import_file``.
"""
