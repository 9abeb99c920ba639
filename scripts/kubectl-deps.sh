#!/usr/bin/env bash
# Installs `kubectl` (Debian package `kubernetes-client`), whose `kubectl kustomize` the
# namespace tests (tests/test_namespaces.py) run over the output. Run as root (CI does);
# idempotent: does nothing when a `kubectl` is already on PATH.
set -euo pipefail
if command -v kubectl >/dev/null 2>&1; then
    exit 0
fi
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }
echo "kubectl-deps: installing kubernetes-client" >&2
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends kubernetes-client >/dev/null
