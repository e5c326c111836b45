#!/usr/bin/env bash
# `npm run down`: stops what `npm run up` (or `npm test`'s set-up) started, newest first, by the pids
# it recorded: TERM, a grace period, then KILL. Daemons that were running before are left alone.
# Containers are left as they are unless dockerd itself was ours (dockerd stops them on exit).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

stop_ours() { # stop_ours NAME GRACE_SECONDS
  was_started "$1" || return 0
  local pid
  pid=$(cat "$OJA_RUN/$1.pid" 2>/dev/null)
  if pid_alive "$pid"; then
    say "stopping $1 (pid $pid)"
    stop_pid "$pid" "$2"
  fi
  rm -f "$OJA_RUN/$1.pid" "$OJA_STARTED/$1"
}

stop_ours agent 20
stop_ours control-plane 20
stop_ours dockerd 60
stop_ours redis 10
if was_started postgres; then
  read -r ver cluster <"$OJA_STARTED/postgres"
  say "stopping Postgres $ver/$cluster"
  pg_ctlcluster "$ver" "$cluster" stop -m fast || say "pg_ctlcluster $ver $cluster stop failed"
  rm -f "$OJA_STARTED/postgres"
fi
say "down (state kept: $OJA_ENV_FILE, $OJA_LIB)"
