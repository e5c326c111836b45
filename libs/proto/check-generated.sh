#!/bin/bash
# Fails when src/gen is stale against proto/ (generated code is committed, like Kubernetes' zz_generated).
# Skipped with a note when protoc is absent (CI installs it; the committed code is then used as is).
set -euo pipefail
cd "$(dirname "$0")"
command -v protoc >/dev/null || { echo "protoc not installed: skipping the generated-code check" >&2; exit 0; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
protoc --plugin=protoc-gen-ts_proto=../../node_modules/.bin/protoc-gen-ts_proto --ts_proto_out="$tmp" \
  --ts_proto_opt=outputServices=grpc-js,esModuleInterop=true,env=node,useOptionals=messages,oneof=unions-value \
  -I ../../proto ../../proto/oja/v1/agent.proto
if ! diff -r "$tmp" src/gen >/dev/null; then
  echo "libs/proto/src/gen is stale: run 'npm run generate -w @oja/proto' and commit the result" >&2
  diff -r "$tmp" src/gen | head -20 >&2
  exit 1
fi
