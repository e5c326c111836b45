#!/usr/bin/env bash
# The README's first command on a fresh host, run inside fresh-host.sh: up three times (the third after
# the database role's password drifted), a first deployment, down twice. Each step's stdout goes to
# OUT/<step>.log, its stderr to OUT/<step>.err and its exit code to OUT/<step>.rc; snapshots of the
# env file, the recorded pids and what runs after down go next to them for up-down.e2e.ts to check.
set -uo pipefail
out=$1
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
step() { local name=$1; shift; "$@" >"$out/$name.log" 2>"$out/$name.err"; echo $? >"$out/$name.rc"; }
oja() { node apps/cli/bin/oja.js "$@"; }
snapshot() { # snapshot N: env file, modes, and pids of the control plane and agent after up #N
  cp /etc/oja/oja.env "$out/env$1"
  stat -c %a /etc/oja/oja.env /etc/oja/demo.token >"$out/modes$1"
  cat /run/oja/control-plane.pid /run/oja/agent.pid >"$out/pids$1"
}

finish() { # down twice, noting what is left in between
  step down1 bash deploy/down.sh
  ls -A /run/oja/started >"$out/started-after-down"
  ps -eo pid=,comm= >"$out/ps-after-down"
  step down2 bash deploy/down.sh
}

step up1 bash deploy/up.sh
snapshot 1
if [ "$(cat "$out/up1.rc")" != 0 ]; then # nothing else can work: only clean up
  finish
  exit 0
fi
step up2 bash deploy/up.sh
snapshot 2
# the role's password drifted from the env file's (say, set by hand): up puts the file's back
runuser -u postgres -- psql -qc "ALTER ROLE oja PASSWORD 'drifted'"
step up3 bash deploy/up.sh
snapshot 3
step apply oja apply -f deploy/examples/web.yaml
step rollout oja rollout status web --timeout 120s
step instances oja get instances web -o json
finish
