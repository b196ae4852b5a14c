#!/usr/bin/env bash
# Builds SeaweedFS's `weed` (github.com/seaweedfs/seaweedfs, Apache-2.0), whose S3 gateway is the
# object store the backup tests write to, from the Go module proxy with the machine's own Go
# toolchain. No Docker, no release downloads. The version lives only in the tools module
# tools/seaweedfs (its tags are not semver: the proxy serves pseudo-versions); repin with
#   (cd tools/seaweedfs && go get -tool github.com/seaweedfs/seaweedfs/weed@<pseudo-version>)
# SeaweedFS's go.mod has a replace directive, so `go install …@version` is refused; the tools
# module carries the same replace.
#
# Usage:
#   scripts/seaweedfs/build.sh            build into $RUNBOOKS_SEAWEEDFS_BIN_DIR (default
#                                       .cache/seaweedfs/bin), or return at once when the stamp
#                                       says it is up to date
#   scripts/seaweedfs/build.sh --force    rebuild even when the stamp matches
#   scripts/seaweedfs/build.sh --print-bin-dir
#
# GOCACHE and GOMODCACHE are left at the caller's values, so warm CI caches are reused.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin_dir="${RUNBOOKS_SEAWEEDFS_BIN_DIR:-$root/.cache/seaweedfs/bin}"
stamp="$bin_dir/.stamp"
tool_module=tools/seaweedfs

log() { printf '[seaweedfs-build] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
now() { date +%s; }

export GOTOOLCHAIN=local CGO_ENABLED=0
command -v go >/dev/null || die "go is not on PATH (Go >= 1.26 is needed)"
# The Go proxy is the only source reachable here: never fall back to VCS (`direct`) over the
# network, and never change the pinned module graph. GOFLAGS keeps what `go env` already has.
GOPROXY="$(go env GOPROXY | tr ',|' '\n\n' | grep -vx -e direct -e off -e '' | paste -sd, -)" \
  || die "GOPROXY ($(go env GOPROXY)) names no module proxy"
export GOPROXY
GOFLAGS="$(go env GOFLAGS) -mod=readonly"
export GOFLAGS

# Everything that decides the binary's content: the toolchain, the pinned module graph, and
# this script (it holds the flags).
stamp_text() {
  go env GOVERSION GOOS GOARCH | tr '\n' ' '
  echo
  (cd "$root" && sha256sum scripts/seaweedfs/build.sh "$tool_module/go.mod" "$tool_module/go.sum")
}

up_to_date() {
  [[ -f $stamp && -x $bin_dir/weed ]] || return 1
  [[ "$(cat "$stamp")" == "$(stamp_text)" ]]
}

build() {
  local force="$1" t0 version out
  mkdir -p "$bin_dir"
  # Two jest runs (or CI plus a developer shell) must not build into the same folder at once.
  exec 9>"$bin_dir/.lock"
  if command -v flock >/dev/null; then
    flock -w 900 9 || die "timed out waiting for another build ($bin_dir/.lock)"
  fi

  if [[ $force != yes ]] && up_to_date; then
    log "up to date in $bin_dir ($(cat "$bin_dir/.versions" 2>/dev/null || true))"
    return 0
  fi

  rm -f "$stamp"
  t0=$(now)
  version="$(cd "$root/$tool_module" && go list -m -f '{{.Version}}' github.com/seaweedfs/seaweedfs)"
  log "building weed $version into $bin_dir with $(go env GOVERSION) (GOCACHE=$(go env GOCACHE), GOMODCACHE=$(go env GOMODCACHE))"
  log "a cold build downloads ~700 MB of modules and takes ~5 minutes and 2.5 GiB on 2 cores; a warm Go cache takes seconds"
  (cd "$root/$tool_module" && go mod download)

  # Build beside the old binary and move it in at the end: a running weed keeps its executable.
  out="$bin_dir/.build"
  rm -rf "$out" && mkdir -p "$out"
  (cd "$root/$tool_module" && go build -trimpath -ldflags "-s -w" -o "$out/weed" github.com/seaweedfs/seaweedfs/weed)

  "$out/weed" version >/dev/null 2>&1 || die "the built weed does not run ('$out/weed version')"
  mv -f "$out/weed" "$bin_dir/weed"
  rmdir "$out"
  printf 'seaweedfs=%s (%s)\n' "$version" "$("$bin_dir/weed" version 2>&1 | head -1)" >"$bin_dir/.versions"
  stamp_text >"$stamp"
  log "built weed $version in $(( $(now) - t0 ))s"
}

case "${1:-}" in
  --print-bin-dir) echo "$bin_dir" ;;
  --force) build yes ;;
  "") build no ;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
  *) die "unknown argument '$1' (see --help)" ;;
esac
