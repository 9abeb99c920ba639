"""Typed bindings that ``cdk8s import`` generates from the CRDs in ``cdk8s.yaml``.

The generated code lives in the repository's ``imports/`` folder (``make imports``
regenerates it); packaging maps each generated module into this package, so an installed
library never adds a top-level ``imports`` package that would shadow a user's own.
"""
