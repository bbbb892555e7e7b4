"""Helpers both the tests and the bench need: a synthetic catalog of any
size, a counter of DynamoDB requests, the uniformity check of selection.
Imports nothing of the bench, so the tests need not import it."""
