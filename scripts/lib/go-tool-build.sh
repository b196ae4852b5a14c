# Sourced by the build scripts of the Go tools the tests run (scripts/mailpit/build.sh,
# scripts/seaweedfs/build.sh): the Go environment they build in, their stamp and their lock.
# The caller sets root, bin_dir, stamp, tool_module, binary (the file it builds), script (its own
# path from root) and log(). GOCACHE and GOMODCACHE are left at the caller's values, so warm CI
# caches are reused.

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

# Everything that decides the binary's content: the toolchain, the pinned module graph, the
# build script (it holds the flags) and this file.
stamp_text() {
  go env GOVERSION GOOS GOARCH | tr '\n' ' '
  echo
  (cd "$root" && sha256sum "$script" scripts/lib/go-tool-build.sh "$tool_module/go.mod" "$tool_module/go.sum")
}

up_to_date() {
  [[ -f $stamp && -x $bin_dir/$binary ]] || return 1
  [[ "$(cat "$stamp")" == "$(stamp_text)" ]]
}

# Two jest runs (or CI plus a developer shell) must not build into the same folder at once:
# takes the folder's lock (fd 9) for the rest of the build.
lock_bin_dir() {
  mkdir -p "$bin_dir"
  exec 9>"$bin_dir/.lock"
  if command -v flock >/dev/null; then
    flock -w 900 9 || die "timed out waiting for another build ($bin_dir/.lock)"
  fi
}
