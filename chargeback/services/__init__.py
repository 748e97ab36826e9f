"""Service verbs: ``fn(session, ..., actor)``. They flush and never commit: the caller (a
request, a job, a command) commits once, so a failure rolls everything back."""
