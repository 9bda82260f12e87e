"""Chorus domain package: one module or subpackage per capability.

Nothing here imports Chalice; app.py wires HTTP and events to these functions.
"""
