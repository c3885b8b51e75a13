#!/usr/bin/env bash
# Installs what the tests need beyond npm packages, from Debian's packages:
# pgbench (postgresql, for compatibility tests), PgBouncer, Pgpool-II (pgpool2), promtool
# (prometheus, to check the alert rules), node_exporter (prometheus-node-exporter, for
# --server-metrics), Chromium (browser tests of the HTML report) and OpenSSH's server (run --fleet
# against sshd on loopback addresses). Skips what is already there.
set -euo pipefail
need=()
[ -x /usr/lib/postgresql/15/bin/pgbench ] || ls /usr/lib/postgresql/*/bin/pgbench >/dev/null 2>&1 || need+=(postgresql postgresql-contrib)
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || need+=(pgbouncer)
[ -x /usr/sbin/pgpool ] || need+=(pgpool2)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
[ -x /usr/bin/prometheus-node-exporter ] || need+=(prometheus-node-exporter)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
if [ ${#need[@]} -eq 0 ]; then
  echo "test dependencies present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${need[@]}" >/dev/null
# Debian starts services of its own on install; the tests start their own servers.
$sudo service postgresql stop >/dev/null 2>&1 || true
$sudo service prometheus stop >/dev/null 2>&1 || true
$sudo service prometheus-node-exporter stop >/dev/null 2>&1 || true
$sudo service pgbouncer stop >/dev/null 2>&1 || true
$sudo service pgpool2 stop >/dev/null 2>&1 || true
$sudo service ssh stop >/dev/null 2>&1 || true
echo "installed: ${need[*]}"
