"""Imported first by the package: keeps jsii's Node end-of-life banner out of the user's app.

jsii prints a 12-line banner to stderr in every process on a Node release it no longer
supports, unless ``JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION`` lists that Node major
version. The library lists every major version, unless the user set the variable.
"""

from __future__ import annotations

import os

VARIABLE = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"
os.environ.setdefault(VARIABLE, ",".join(str(major) for major in range(10, 61)))
