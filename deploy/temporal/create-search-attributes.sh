#!/bin/sh
# One-shot job of the `temporal-create-search-attributes` service: makes sure the namespace exists
# (temporalio/server does not create one; upstream runs compose/scripts/create-namespace.sh for
# that) and registers the engine's search attributes on it, so the Web UI and
# `temporal workflow list --query` can filter runs by connector, connection and kind.
# Idempotent: an existing namespace or attribute is left alone, so it is safe on every `up`.
#
# SEARCH_ATTRIBUTES: space-separated Name=Type pairs, set in temporal-docker-compose.yml from
# src/temporal/search-attributes.ts (test/unit/deploy/compose.test.ts keeps them equal).
set -eu

ADDRESS=${TEMPORAL_ADDRESS:-temporal:7233}
NAMESPACE=${TEMPORAL_NAMESPACE:-default}
: "${SEARCH_ATTRIBUTES:?SEARCH_ATTRIBUTES must list Name=Type pairs}"

echo "Waiting for Temporal at $ADDRESS..."
attempt=0
until temporal operator cluster health --address "$ADDRESS" >/dev/null 2>&1; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge 60 ]; then
    echo "Temporal at $ADDRESS did not become healthy" >&2
    exit 1
  fi
  sleep 2
done

if temporal operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1; then
  echo "Namespace $NAMESPACE exists"
elif out=$(temporal operator namespace create --namespace "$NAMESPACE" --address "$ADDRESS" 2>&1); then
  echo "Created namespace $NAMESPACE"
elif echo "$out" | grep -qi 'already'; then
  echo "Namespace $NAMESPACE already exists"
else
  echo "$out" >&2
  exit 1
fi

for pair in $SEARCH_ATTRIBUTES; do
  name=${pair%%=*}
  type=${pair#*=}
  attempt=0
  while :; do
    if out=$(temporal operator search-attribute create --namespace "$NAMESPACE" --address "$ADDRESS" \
      --name "$name" --type "$type" 2>&1); then
      echo "Created search attribute $name ($type)"
      break
    fi
    if echo "$out" | grep -qi 'already exists'; then
      echo "Search attribute $name already exists"
      break
    fi
    # A namespace created a moment ago can take a few seconds to reach every server cache.
    attempt=$((attempt + 1))
    if [ "$attempt" -ge 30 ]; then
      echo "$out" >&2
      exit 1
    fi
    sleep 2
  done
done

echo "Search attributes ready on namespace $NAMESPACE"
