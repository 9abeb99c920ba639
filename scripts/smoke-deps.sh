#!/usr/bin/env bash
# Installs what the smoke tests (tests/smoke/, pytest marker `smoke`) need: the RabbitMQ and
# Redis servers (Debian packages), the PostgreSQL server binaries, openssl and .venv-dagster
# (scripts/dagster-venv.sh). Run it as root (CI does) before the tests; it is idempotent and
# installs only what is missing.
#
# Debian starts rabbitmq-server, redis-server and epmd as system services on install. The smoke
# harness starts its own servers on free ports, so the system services are kept from starting
# during the install (policy-rc.d) and stopped if they run anyway.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'smoke-deps: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }

POLICY=/usr/sbin/policy-rc.d
created_policy=0
cleanup() { if [ "$created_policy" = 1 ]; then as_root rm -f "$POLICY"; fi; }
trap cleanup EXIT

apt_install() {
    # Keep invoke-rc.d from starting the services the packages ship (exit 101: action forbidden).
    if [ ! -e "$POLICY" ]; then
        printf '#!/bin/sh\nexit 101\n' | as_root tee "$POLICY" >/dev/null
        as_root chmod 755 "$POLICY"
        created_policy=1
    fi
    log "installing $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

find_pg_bin() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV) /usr/local/pgsql/bin /usr/local/bin /usr/bin; do
        if [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ]; then echo "$dir"; return 0; fi
    done
    return 1
}

missing=()
command -v rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
find_pg_bin >/dev/null || missing+=(postgresql)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)  # the Kubernetes API stand-in's throwaway CA
if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
else
    log "rabbitmq-server, redis-server and PostgreSQL already installed"
fi

# Stop the services Debian starts with these packages (systemd or SysV init), so nothing of
# theirs runs next to the harness's own servers; disable them when this run installed them.
# Then the epmd their scripts may have started (it refuses while nodes are registered).
for service in rabbitmq-server redis-server; do
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        as_root systemctl stop "$service" >/dev/null 2>&1 || true
        if [ "${#missing[@]}" -gt 0 ]; then as_root systemctl disable "$service" >/dev/null 2>&1 || true; fi
    elif [ -x "/etc/init.d/$service" ]; then
        as_root "/etc/init.d/$service" stop >/dev/null 2>&1 || true
    fi
done
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    as_root systemctl stop epmd.socket epmd.service >/dev/null 2>&1 || true
fi
if command -v epmd >/dev/null 2>&1 && epmd -names >/dev/null 2>&1; then
    epmd -kill >/dev/null 2>&1 || true
fi

pg_bin=$(find_pg_bin) || { log "no PostgreSQL server binaries (initdb, postgres) after install"; exit 1; }
for tool in rabbitmq-server rabbitmqctl rabbitmq-diagnostics redis-server redis-cli epmd; do
    command -v "$tool" >/dev/null 2>&1 || { log "missing after install: $tool"; exit 1; }
done
[ -x "$pg_bin/pg_isready" ] || command -v pg_isready >/dev/null 2>&1 || { log "missing: pg_isready"; exit 1; }
log "PostgreSQL server binaries: $pg_bin"

# The Dagster venv (idempotent; it has the `redis` client the images ship, too).
bash scripts/dagster-venv.sh
.venv-dagster/bin/python -c 'import redis, flower, dagster_celery_k8s' \
    || { log ".venv-dagster lacks redis/flower/dagster_celery_k8s"; exit 1; }
log "ok"
