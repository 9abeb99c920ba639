#!/usr/bin/env bash
# Installs Graphviz's `dot` (Debian package `graphviz`), which `main.py --diagram FILE.svg` lays
# the picture out with (the Python side is the `graphviz` package from pip). Run as root (CI
# does); idempotent: does nothing when `dot` is already there.
set -euo pipefail
if command -v dot >/dev/null 2>&1; then
    exit 0
fi
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }
echo "diagram-deps: installing graphviz" >&2
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends graphviz >/dev/null
