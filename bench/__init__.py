"""Chorus benchmarks: `make bench` (``python -m bench.run``).

Three figures, printed and never asserted:

* ``bench.imports``: the cost of ``import app`` against ``import boto3``, in fresh interpreters;
* ``bench.calls``: the DynamoDB (and SSM) calls one redirect makes, cold and warm;
* ``bench.latency``: the redirect's time through the real Chalice app against a minimal hand-written handler.

The last two run over moto in-process (``mock_aws``): they measure Chorus's own work plus moto's, never
a network, and they can never reach a real AWS account.
"""
