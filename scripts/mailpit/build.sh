#!/usr/bin/env bash
# Builds mailpit (github.com/axllent/mailpit), the SMTP receiver the email notification tests
# send to, from the Go module proxy with the machine's own Go toolchain. No Docker, no release
# downloads. The version lives only in the tools module tools/mailpit; repin with
#   (cd tools/mailpit && go get -tool github.com/axllent/mailpit@<version>)
# The module carries no built web UI (server/ui/dist), so the UI is broken; the REST API the
# tests use is complete.
#
# Usage:
#   scripts/mailpit/build.sh            build into $RUNBOOKS_MAILPIT_BIN_DIR (default
#                                       .cache/mailpit/bin), or return at once when the stamp
#                                       says it is up to date
#   scripts/mailpit/build.sh --force    rebuild even when the stamp matches
#   scripts/mailpit/build.sh --print-bin-dir
#
# GOCACHE and GOMODCACHE are left at the caller's values (scripts/lib/go-tool-build.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin_dir="${RUNBOOKS_MAILPIT_BIN_DIR:-$root/.cache/mailpit/bin}"
stamp="$bin_dir/.stamp"
tool_module=tools/mailpit

log() { printf '[mailpit-build] %s\n' "$*" >&2; }
binary=mailpit
script=scripts/mailpit/build.sh
# shellcheck source=../lib/go-tool-build.sh
source "$root/scripts/lib/go-tool-build.sh"

build() {
  local force="$1" t0 version out
  lock_bin_dir

  if [[ $force != yes ]] && up_to_date; then
    log "up to date in $bin_dir ($(cat "$bin_dir/.versions" 2>/dev/null || true))"
    return 0
  fi

  rm -f "$stamp"
  t0=$(now)
  version="$(cd "$root/$tool_module" && go list -m -f '{{.Version}}' github.com/axllent/mailpit)"
  log "building mailpit $version into $bin_dir with $(go env GOVERSION) (GOCACHE=$(go env GOCACHE), GOMODCACHE=$(go env GOMODCACHE))"
  log "a cold build downloads ~110 MB of modules and takes ~2 minutes on 2 cores; a warm Go cache takes seconds"
  (cd "$root/$tool_module" && go mod download)

  # Build beside the old binary and move it in at the end: a running mailpit keeps its
  # executable (rename is safe; overwriting a running binary is not).
  out="$bin_dir/.build"
  rm -rf "$out" && mkdir -p "$out"
  # config.Version is "dev" unless stamped; `mailpit version` would also ask api.github.com,
  # which the tests never call (`--disable-version-check` on start).
  (cd "$root/$tool_module" && go build -trimpath \
    -ldflags "-s -w -X github.com/axllent/mailpit/config.Version=$version" \
    -o "$out/mailpit" github.com/axllent/mailpit)

  "$out/mailpit" version --no-release-check | grep -q " $version compiled with " \
    || die "mailpit reports '$("$out/mailpit" version --no-release-check)', expected $version"
  mv -f "$out/mailpit" "$bin_dir/mailpit"
  rmdir "$out"
  printf 'mailpit=%s\n' "$version" >"$bin_dir/.versions"
  stamp_text >"$stamp"
  log "built mailpit $version in $(( $(now) - t0 ))s"
}

case "${1:-}" in
  --print-bin-dir) echo "$bin_dir" ;;
  --force) build yes ;;
  "") build no ;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
  *) die "unknown argument '$1' (see --help)" ;;
esac
