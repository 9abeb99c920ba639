"""The reference for a cold start: a bare cdk8s app with one ConfigMap, synthesized to OUTDIR."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import cdk8s

app = cdk8s.App(outdir=sys.argv[1])
chart = cdk8s.Chart(app, "bare")
cdk8s.ApiObject(chart, "cm", api_version="v1", kind="ConfigMap",
                metadata=cdk8s.ApiObjectMetadata(name="bare"))
app.synth()
