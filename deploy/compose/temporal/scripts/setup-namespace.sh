#!/bin/sh
# One-shot (compose service temporal-setup, image temporalio/admin-tools): creates the namespace
# and registers the product's search attributes, then waits until the frontend accepts a query on
# them, so workers and the API never start runs the server would reject. Idempotent.
# Reads TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, NAMESPACE_RETENTION and RUNBOOKS_SEARCH_ATTRIBUTES
# ("Name=Type Name=Type ...").
set -eu

ns="${TEMPORAL_NAMESPACE:-default}"
addr="${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS is required}"
retention="${NAMESPACE_RETENTION:-168h}"
attrs="${RUNBOOKS_SEARCH_ATTRIBUTES:?RUNBOOKS_SEARCH_ATTRIBUTES is required}"

quietly() { "$@" >/dev/null 2>&1; }

# Retries a command every 2 s for up to 2 minutes.
retry() {
  tries=0
  until "$@"; do
    tries=$((tries + 1))
    [ "$tries" -lt 60 ] || { echo "gave up: $*" >&2; return 1; }
    sleep 2
  done
}

echo "waiting for Temporal at ${addr}"
retry quietly temporal operator cluster health --address "${addr}"

if quietly temporal operator namespace describe --namespace "${ns}" --address "${addr}"; then
  echo "namespace ${ns}: present"
else
  temporal operator namespace create --namespace "${ns}" --retention "${retention}" --address "${addr}"
fi
# A new namespace reaches the frontend's namespace cache some seconds after it is written.
echo "waiting until namespace ${ns} is served"
retry quietly temporal operator search-attribute list --namespace "${ns}" --address "${addr}"

has_attribute() {
  temporal operator search-attribute list --namespace "${ns}" --address "${addr}" |
    awk -v n="$1" '$1 == n { found = 1 } END { exit found ? 0 : 1 }'
}

query=""
for pair in ${attrs}; do
  name=${pair%%=*}
  type=${pair#*=}
  if has_attribute "${name}"; then
    echo "search attribute ${name}: present"
  else
    # A concurrent creator (the API's ensureSearchAttributes) may win the race: check again.
    temporal operator search-attribute create --namespace "${ns}" --name "${name}" --type "${type}" --address "${addr}" ||
      has_attribute "${name}"
  fi
  query="${query:+${query} AND }${name} = 'compose-setup-probe'"
done

# Search attributes also reach the frontend's caches late: wait until a query on all is accepted.
echo "waiting until ${ns} accepts: ${query}"
retry quietly temporal workflow list --namespace "${ns}" --address "${addr}" --query "${query}" --limit 1
echo "namespace ${ns} is ready"
