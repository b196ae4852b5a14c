#!/usr/bin/env bash
# Starts and stops a simulated Kubernetes cluster: a real kube-apiserver, kube-controller-manager,
# kube-scheduler and etcd, with kwok standing in for the kubelets, run by `kwokctl --runtime
# binary` from the binaries that scripts/k8s/build.sh builds. Pods on the fake nodes become
# Ready at once, Job pods complete, and Deployments, ReplicaSets and revisions are the real
# controllers' work. A pod with an image containing `does-not-exist` (say
# registry.example/web:does-not-exist) never pulls it: it stays Pending, not Ready, waiting with
# ErrImagePull then ImagePullBackOff (kwok Stages in scripts/k8s/kwok-stages.yaml).
# Everything listens on 127.0.0.1; nothing is downloaded.
#
# Usage:
#   scripts/k8s/cluster.sh start <name> [--nodes N] [--manifest FILE]... [--logs-file FILE]
#       Builds if needed, creates the cluster (or keeps a healthy one of that name), adds N fake
#       nodes (default 1) with InternalIP 127.0.0.1 and no taints, applies each manifest and
#       waits for its Deployments to roll out. Prints the kubeconfig path on stdout.
#       --logs-file: a plain text file that `kubectl logs` returns for every pod (default: a
#       two-line stub).
#   scripts/k8s/cluster.sh stop <name>        deletes the cluster; fine if it does not exist
#   scripts/k8s/cluster.sh kubeconfig <name>  prints the kubeconfig path
#   scripts/k8s/cluster.sh list               prints the names of the clusters it has started
#   scripts/k8s/cluster.sh kwokctl <args...>  runs kwokctl with this script's work dir
#
# State lives in $RUNBOOKS_K8S_CACHE_DIR (default .cache/k8s): kwok/ holds the clusters'
# pki, logs and pids, <name>.kubeconfig the kubeconfig. Nothing touches ~/.kube or ~/.kwok.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache_dir="${RUNBOOKS_K8S_CACHE_DIR:-$root/.cache/k8s}"
bin_dir="${RUNBOOKS_K8S_BIN_DIR:-$cache_dir/bin}"
export RUNBOOKS_K8S_BIN_DIR="$bin_dir"
export KWOK_WORKDIR="$cache_dir/kwok"
# Auto-detection would try docker first; only the binary runtime works without an engine.
export KWOK_RUNTIME=binary
start_timeout="${RUNBOOKS_K8S_START_TIMEOUT:-180}"

log() { printf '[k8s-cluster] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
now() { date +%s; }

kwokctl() { "$bin_dir/kwokctl" "$@"; }
kubeconfig_path() { echo "$cache_dir/$1.kubeconfig"; }
cluster_exists() { [[ -f $KWOK_WORKDIR/clusters/$1/kwok.yaml ]]; }
kc() { kubectl --kubeconfig "$kubeconfig" "$@"; }

check_name() {
  [[ ${1:-} =~ ^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$ ]] || die "cluster name must be a DNS label (a-z, 0-9, -), got '${1:-}'"
}

healthy() { # <name>
  local kubeconfig
  kubeconfig="$(kubeconfig_path "$1")"
  cluster_exists "$1" && [[ -f $kubeconfig ]] && kc get --raw /readyz --request-timeout=5s >/dev/null 2>&1
}

# kwokctl's own node template gives nodes TEST-NET addresses (192.0.2.x); anything that dials a
# node (the apiserver proxying `kubectl logs`) must stay on loopback, so the nodes are ours.
node_manifest() { # <index>
  cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$1
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: kwok-node-$1
    kubernetes.io/os: linux
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    type: kwok
spec: {}
status:
  addresses:
  - address: 127.0.0.1
    type: InternalIP
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
  nodeInfo:
    architecture: amd64
    operatingSystem: linux
    kubeletVersion: fake
---
EOF
}

# kwok serves logs as a kubelet would, from a file in the CRI log format
# ("<RFC3339Nano time> stdout F <line>"); turn plain text into that.
write_pod_log() { # <target> [plain text file]
  local ts
  ts="$(date -u +%Y-%m-%dT%H:%M:%S.000000000Z)"
  if [[ -n ${2:-} ]]; then
    sed "s/^/$ts stdout F /" "$2" >"$1"
  else
    printf '%s stdout F %s\n' \
      "$ts" "simulated container log: this pod runs on a kwok fake node" \
      "$ts" "every pod answers with these lines; choose them with cluster.sh start --logs-file FILE" >"$1"
  fi
}

write_kwok_config() { # <file> <logs file>
  cat >"$1" <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  runtime: binary
  bindAddress: 127.0.0.1
  kubeApiserverBinary: $bin_dir/kube-apiserver
  kubeControllerManagerBinary: $bin_dir/kube-controller-manager
  kubeSchedulerBinary: $bin_dir/kube-scheduler
  kwokControllerBinary: $bin_dir/kwok
  etcdBinary: $bin_dir/etcd
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: all-pods
spec:
  logs:
  - containers: []
    logsFile: $2
    follow: false
---
EOF
  # kwok's Stages: its defaults plus pods whose image never pulls (see the file's header).
  cat "$root/scripts/k8s/kwok-stages.yaml" >>"$1"
}

on_start_failure() { # <name>
  local keep="$cache_dir/$1.failed-logs"
  if [[ -d $KWOK_WORKDIR/clusters/$1/logs ]]; then
    rm -rf "$keep" && cp -r "$KWOK_WORKDIR/clusters/$1/logs" "$keep" && log "component logs kept in $keep"
  fi
  log "start failed; deleting cluster '$1'"
  stop "$1" || true
}

start() {
  local name="" nodes=1 logs_file="" manifests=() t0 kubeconfig i f deadline
  name="${1:-}"; shift || true
  check_name "$name"
  while (($#)); do
    case "$1" in
      --nodes) nodes="${2:?--nodes needs a number}"; shift 2 ;;
      --manifest) manifests+=("$(realpath "${2:?--manifest needs a file}")"); shift 2 ;;
      --logs-file) logs_file="$(realpath "${2:?--logs-file needs a file}")"; shift 2 ;;
      *) die "unknown option '$1'" ;;
    esac
  done
  [[ $nodes =~ ^[0-9]+$ ]] || die "--nodes must be a whole number, got '$nodes'"
  for f in "${manifests[@]}"; do [[ -f $f ]] || die "manifest $f does not exist"; done
  command -v kubectl >/dev/null || die "kubectl is not on PATH"

  bash "$root/scripts/k8s/build.sh"

  t0=$(now)
  kubeconfig="$(kubeconfig_path "$name")"
  mkdir -p "$cache_dir"
  # A start that fails halfway would leave etcd and the apiserver running: delete the cluster,
  # keeping its component logs for the post-mortem.
  started=no
  trap 'exit 130' INT TERM
  # shellcheck disable=SC2064 # expand the (checked DNS label) name now; it is a local
  trap "[[ \$started == yes ]] || on_start_failure $name" EXIT

  if healthy "$name"; then
    log "cluster '$name' is already running; reusing it"
  else
    if cluster_exists "$name"; then
      log "cluster '$name' exists but is not healthy; recreating it"
      stop "$name"
    fi
    write_pod_log "$cache_dir/$name.pod.log" "$logs_file"
    write_kwok_config "$cache_dir/$name.kwok.yaml" "$cache_dir/$name.pod.log"
    rm -f "$kubeconfig"
    log "creating cluster '$name' (kwokctl --runtime binary, binaries from $bin_dir)"
    kwokctl -v WARN create cluster --name "$name" --runtime binary --config "$cache_dir/$name.kwok.yaml" \
      --kubeconfig "$kubeconfig" --wait "${start_timeout}s" --timeout "${start_timeout}s" >&2
  fi

  # kwokctl only logs a failed --wait; check readiness ourselves.
  deadline=$(( $(now) + start_timeout ))
  until kc get --raw /readyz >/dev/null 2>&1; do
    (( $(now) < deadline )) || die "kube-apiserver not ready after ${start_timeout}s"
    sleep 1
  done
  # Pods in a namespace are refused until its default ServiceAccount exists.
  until kc -n default get serviceaccount default >/dev/null 2>&1; do
    (( $(now) < deadline )) || die "no default ServiceAccount after ${start_timeout}s (is kube-controller-manager running?)"
    sleep 1
  done

  if (( nodes > 0 )); then
    log "ensuring $nodes fake node(s) kwok-node-0..$(( nodes - 1 ))"
    for (( i = 0; i < nodes; i++ )); do node_manifest "$i"; done | kc apply -f - >&2
    kc wait --for=condition=Ready node -l type=kwok --timeout="${start_timeout}s" >&2
  fi

  for f in "${manifests[@]}"; do
    log "applying $f"
    kc apply -f "$f" >&2
    # Wait for what has a rollout; `get -f` prints a List for several objects, the object for one.
    kc get -f "$f" -o go-template='{{if .items}}{{range .items}}{{.kind}} {{.metadata.name}} {{or .metadata.namespace "-"}}{{"\n"}}{{end}}{{else}}{{.kind}} {{.metadata.name}} {{or .metadata.namespace "-"}}{{"\n"}}{{end}}' |
      while read -r kind obj ns; do
        case "$kind" in
          Deployment|StatefulSet|DaemonSet)
            kc rollout status "${kind,,}/$obj" -n "$ns" --timeout="${start_timeout}s" >&2 ;;
        esac
      done
  done
  started=yes
  trap - INT TERM

  log "cluster '$name' ready in $(( $(now) - t0 ))s; kubeconfig: $kubeconfig"
  log "  kubectl --kubeconfig $kubeconfig get nodes"
  echo "$kubeconfig"
}

# The component pids kwokctl recorded, kept only while the process still runs for this cluster.
cluster_pids() { # <name>
  local f pid
  for f in "$KWOK_WORKDIR/clusters/$1/pids/"*.pid; do
    [[ -f $f ]] || continue
    pid="$(cat "$f")"
    [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || continue
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "/clusters/$1/" && echo "$pid"
  done
  return 0
}

alive() { local p; for p; do if kill -0 "$p" 2>/dev/null; then echo "$p"; fi; done; }

stop() {
  local name="${1:-}" kubeconfig pids=() pid i
  check_name "$name"
  kubeconfig="$(kubeconfig_path "$name")"
  if ! cluster_exists "$name" && [[ ! -d $KWOK_WORKDIR/clusters/$name ]]; then
    log "cluster '$name' is not running"
    rm -f "$kubeconfig"
    return 0
  fi
  log "deleting cluster '$name'"
  mapfile -t pids < <(cluster_pids "$name")
  if [[ -x $bin_dir/kwokctl ]]; then
    # kwokctl removes its context from the kubeconfig it is given; an empty path is refused.
    [[ -f $kubeconfig ]] || : >"$kubeconfig"
    kwokctl -v WARN delete cluster --name "$name" --kubeconfig "$kubeconfig" --force >&2 || log "kwokctl delete failed; stopping the processes directly"
  fi
  # kwokctl signals the components and returns at once; wait, so a following start finds the
  # ports free and nothing outlives the test run.
  mapfile -t pids < <(alive "${pids[@]}")
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for (( i = 0; i < 100 && ${#pids[@]} > 0; i++ )); do
    sleep 0.2
    mapfile -t pids < <(alive "${pids[@]}")
  done
  for pid in "${pids[@]}"; do log "process $pid did not stop; killing it"; kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "${KWOK_WORKDIR:?}/clusters/$name"
  rm -f "$kubeconfig" "$cache_dir/$name.kwok.yaml" "$cache_dir/$name.pod.log"
  log "cluster '$name' deleted"
}

cmd="${1:-}"; shift || true
case "$cmd" in
  start) start "$@" ;;
  stop) stop "$@" ;;
  kubeconfig) check_name "${1:-}"; kubeconfig_path "$1" ;;
  list) if [[ -d $KWOK_WORKDIR/clusters ]]; then ls -1 "$KWOK_WORKDIR/clusters"; fi ;;
  kwokctl) kwokctl "$@" ;;
  -h|--help|"") sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
  *) die "unknown command '$cmd' (see --help)" ;;
esac
