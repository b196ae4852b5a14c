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
# GOCACHE and GOMODCACHE are left at the caller's values (scripts/lib/go-tool-build.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin_dir="${RUNBOOKS_SEAWEEDFS_BIN_DIR:-$root/.cache/seaweedfs/bin}"
stamp="$bin_dir/.stamp"
tool_module=tools/seaweedfs

log() { printf '[seaweedfs-build] %s\n' "$*" >&2; }
binary=weed
script=scripts/seaweedfs/build.sh
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
