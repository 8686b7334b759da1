"""Tests of the search index and what reads it."""

# Counts of a query with words or filters are made in the background (repo.search.summary); a test
# that asserts them gives its Search this budget, to wait for them rather than take "still counting"
# on a loaded machine.
COUNTED = 60.0
