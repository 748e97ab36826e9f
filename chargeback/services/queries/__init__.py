"""The read model: every query a page, an API resource, an export or the pack makes.

One module per subject, one function per rule (the price in force, the tree and its order,
a subtree, the currency of a period, the units a user may see, the charges and the journal
of a month). A closed month is read only from what its close froze (``closed_month``): its
charges and journal, its unit results, ratings and criterion results, and the snapshots of
the tree, the consumers and the services as they stood at the close. Nothing of it is
computed from today's units, consumers, services, rates, scorecards or settings. Delivery
layers (web, api, cli, jobs) call these and never build a query of their own.

Sums of money are made by the database (``sql.cents_sum``), in whole cents, so SQLite's
doubles never round a total.
"""
