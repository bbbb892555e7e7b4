"""Wild Rydes business logic, shared by the ride_fleet and rides Chalice apps.

Nothing here imports Chalice: the apps translate their event sources into
calls to this package and translate results and errors back.
"""
