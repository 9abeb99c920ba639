"""Imported first by the package: keeps jsii's Node end-of-life banner out of the user's app.

jsii prints a 12-line banner to stderr in every process on a Node release it no longer
supports, unless ``JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION`` lists that Node major
version (or, for a release it deprecates, ``JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION`` is
set). The library sets both, unless the user set them; the pinned jsii (1.142) reads these two
names. jsii starts Node at the first import of ``cdk8s``: import the library first.
"""

from __future__ import annotations

import os

VARIABLE = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"
os.environ.setdefault(VARIABLE, ",".join(str(major) for major in range(10, 61)))
#: The same banner's milder form for a Node release jsii still runs but deprecates (any value).
DEPRECATED_VARIABLE = "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION"
os.environ.setdefault(DEPRECATED_VARIABLE, "1")
