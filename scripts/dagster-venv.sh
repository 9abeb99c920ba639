#!/usr/bin/env bash
# Creates .venv-dagster: the real Dagster processes and validators, pinned to the version the
# library deploys (DAGSTER_VERSION in constructs_lib/images.py), with the Redis client the
# dagster-celery-k8s image ships (dagster-celery[redis]). Kept apart from .venv because
# Dagster's dependency pins are its own. Idempotent: reinstalls only when this file changes.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-dagster
STAMP="$VENV/.installed-$(sha256sum scripts/dagster-venv.sh | cut -c1-12)"
[ -f "$STAMP" ] && exit 0
rm -rf "$VENV"
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet \
    dagster==1.13.27 \
    dagster-webserver==1.13.27 \
    dagster-graphql==1.13.27 \
    dagster-k8s==0.29.27 \
    dagster-celery==0.29.27 \
    dagster-celery-k8s==0.29.27 \
    dagster-postgres==0.29.27 \
    flower==2.2.0 \
    redis==8.1.0
touch "$STAMP"
