#!/bin/bash
# Fails when src/gen is stale against proto/ (generated code is committed, like Kubernetes' zz_generated).
# Without protoc the check cannot run: an error under CI=true (the set-up installs Debian's
# protobuf-compiler, so its absence is a broken set-up), a warning otherwise (the committed code is used as is).
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v protoc >/dev/null; then
  if [ "${CI:-}" = true ]; then
    echo "protoc not installed (CI=true): cannot check libs/proto/src/gen against proto/; install protobuf-compiler" >&2
    exit 1
  fi
  echo "warning: protoc not installed: skipping the generated-code check (install protobuf-compiler)" >&2
  exit 0
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
protoc --plugin=protoc-gen-ts_proto=../../node_modules/.bin/protoc-gen-ts_proto --ts_proto_out="$tmp" \
  --ts_proto_opt=outputServices=grpc-js,esModuleInterop=true,env=node,useOptionals=messages,oneof=unions-value \
  -I ../../proto ../../proto/oja/v1/agent.proto
if ! diff -r "$tmp" src/gen >/dev/null; then
  echo "libs/proto/src/gen is stale: run 'npm run generate -w @oja/proto' and commit the result" >&2
  diff -r "$tmp" src/gen | head -20 >&2
  exit 1
fi
