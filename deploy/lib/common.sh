# Paths and small helpers shared by deploy/up.sh, deploy/down.sh and test/run.sh (sourced, not run).
# Every daemon these scripts start gets a pid file under $OJA_RUN and a marker in $OJA_RUN/started/,
# so down.sh stops exactly what they started, by pid, and nothing that was running before.

OJA_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OJA_ETC=${OJA_ETC:-/etc/oja}
OJA_ENV_FILE=${OJA_ENV_FILE:-$OJA_ETC/oja.env}
OJA_RUN=${OJA_RUN:-/run/oja}
OJA_LOG=${OJA_LOG:-/var/log/oja}
OJA_LIB=${OJA_LIB:-/var/lib/oja}
OJA_STARTED=$OJA_RUN/started

say() { printf '[oja %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { say "error: $*"; exit 1; }

oja_dirs() { mkdir -p "$OJA_RUN" "$OJA_STARTED" "$OJA_LOG" "$OJA_LIB" && chmod 0755 "$OJA_RUN" "$OJA_LOG"; }

# One set-up at a time: up.sh and test/run.sh may be started together. The lock is fd 9 until exit;
# daemons must not inherit it (`9>&-`), or they would hold it for as long as they run.
oja_lock() {
  oja_dirs
  exec 9>"$OJA_RUN/setup.lock"
  flock -w 600 9 || die "another oja set-up holds $OJA_RUN/setup.lock"
}

# A pid is alive only if it exists and is not a zombie: this machine's init reaps orphans lazily,
# so `kill -0` still succeeds for a while on a daemon that was killed.
pid_alive() { [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] && [ "$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]; }
pid_gone() { ! pid_alive "$1"; }
pidfile_alive() { local p; p=$(cat "$1" 2>/dev/null) && pid_alive "$p"; }

# wait_until SECONDS CMD...: poll CMD every 0.2 s until it succeeds; fails after SECONDS.
wait_until() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

mark_started() { : > "$OJA_STARTED/$1"; }
was_started() { [ -e "$OJA_STARTED/$1" ]; }

# start_daemon NAME CMD...: run CMD in the background (immune to hang-ups, stdin closed), log to
# $OJA_LOG/NAME.log (0600: logs may quote tokens), record its pid in $OJA_RUN/NAME.pid, mark it ours.
start_daemon() {
  local name=$1; shift
  (umask 077 && touch "$OJA_LOG/$name.log")
  nohup "$@" </dev/null >>"$OJA_LOG/$name.log" 2>&1 9>&- &
  echo $! > "$OJA_RUN/$name.pid"
  mark_started "$name"
}

# stop_pid PID [GRACE_SECONDS]: TERM, wait, then KILL.
stop_pid() {
  local pid=$1 grace=${2:-15}
  pid_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  if ! wait_until "$grace" pid_gone "$pid"; then
    say "pid $pid still running after ${grace}s: KILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

# The last lines of a daemon's log, for error messages.
log_tail() { tail -n "${2:-20}" "$OJA_LOG/$1.log" 2>/dev/null | sed 's/^/    /' >&2; }

# Load KEY=value settings into the environment (exported, so child processes see them).
load_env_file() { set -a; . "$1"; set +a; }

rand_hex() { openssl rand -hex "$1"; }
