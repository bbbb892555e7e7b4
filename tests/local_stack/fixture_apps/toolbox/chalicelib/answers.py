"""Edited by the reload test: the value Echo reports as `version`."""
VERSION = 1
