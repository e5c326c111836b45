#!/usr/bin/env bash
# `npm run up`: from a fresh Debian 12 host (root, Node >= 20.19) to a running single-host oja:
# packages, /etc/oja/oja.env, Postgres, Redis, dockerd, the test image, the build, the control
# plane, a demo tenant with the CLI logged in, and one agent. Safe to re-run: whatever is healthy is
# left alone. `npm run down` stops what this started.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/setup.sh"
. "$OJA_ROOT/deploy/lib/cluster.sh"

[ "$(id -u)" = 0 ] || die "run as root: this installs packages and starts system daemons"
cd "$OJA_ROOT"
oja_setup
ensure_control_plane
demo="the CLI is logged in as tenant \"demo\" (its token is in $OJA_DEMO_TOKEN_FILE)"
ensure_demo_tenant && cli_login || demo="not set up (see above); log the CLI in with: npx oja login --server $(api_url) --token T"
ensure_agent

cat <<MSG

oja is up.
  API         $(api_url)/v1   (OpenAPI: $(api_url)/docs)
  admin token $OJA_ADMIN_TOKEN
              (OJA_ADMIN_TOKEN in $OJA_ENV_FILE; give it to admin commands: OJA_TOKEN=<admin token> npx oja get nodes)
  demo tenant $demo
  logs        $OJA_LOG/   pids: $OJA_RUN/   stop: npm run down

Use the CLI from the repository root with \`npx oja …\`, or put the workspace's bins on PATH
(oja, oja-agent, oja-control-plane) and call \`oja …\` anywhere:
  export PATH="$OJA_ROOT/node_modules/.bin:\$PATH"

First deployment (two busybox web servers behind the routing mesh on port 8080):
  npx oja apply -f deploy/examples/web.yaml
  npx oja rollout status web
  npx oja get instances web
  curl http://127.0.0.1:8080/
MSG
