# Starts the local oja cluster for `npm run up`: the control plane, a demo tenant with the CLI logged
# in, and one agent on this host (sourced after common.sh and ensure-services.sh, not run).

OJA_DEMO_TOKEN_FILE=$OJA_ETC/demo.token
OJA_AGENT_DATA_DIR=$OJA_LIB/agent

# Where this host reaches its control plane (the ports follow OJA_HTTP_ADDR / OJA_GRPC_ADDR).
: "${OJA_HTTP_ADDR:=0.0.0.0:7400}" "${OJA_GRPC_ADDR:=0.0.0.0:7401}"
api_url() { echo "http://127.0.0.1:${OJA_HTTP_ADDR##*:}"; }
grpc_addr() { echo "127.0.0.1:${OJA_GRPC_ADDR##*:}"; }

# api METHOD PATH TOKEN [JSON]: calls the REST API; sets API_STATUS (000 when unreachable) and API_BODY.
# The token goes to curl on stdin, not in its argv (which `ps` shows to every user).
api() {
  local out
  if ! out=$(printf 'Authorization: Bearer %s\n' "$3" | curl -sS --max-time 10 -X "$1" -H @- \
    -H 'Content-Type: application/json' ${4:+--data "$4"} -w '\n%{http_code}' "$(api_url)$2" 2>&1); then
    API_STATUS=000 API_BODY=${out%$'\n'*}
    return 1
  fi
  API_STATUS=${out##*$'\n'} API_BODY=${out%$'\n'*}
}

# json_get EXPR [ARG...]: evaluates a JS expression over the JSON on stdin (bound to `j`; the ARGs are
# process.argv[2...]) and prints the result.
json_get() { node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
  const j = JSON.parse(s); const v = eval(process.argv[1]); if (v !== undefined) console.log(v); })' "$@"; }

control_plane_ready() { curl -fs --max-time 3 "$(api_url)/readyz" >/dev/null; }

# wait_for_daemon NAME SECONDS CHECK...: until CHECK passes; fails early (with the log) if NAME dies.
wait_for_daemon() {
  local name=$1 deadline=$((SECONDS + $2)); shift 2
  until "$@" >/dev/null 2>&1; do
    pidfile_alive "$OJA_RUN/$name.pid" || { log_tail "$name"; die "$name exited; its log is $OJA_LOG/$name.log"; }
    [ "$SECONDS" -lt "$deadline" ] || { log_tail "$name"; die "$name did not become ready; its log is $OJA_LOG/$name.log"; }
    sleep 0.5
  done
}

ensure_control_plane() {
  [ -f "$OJA_ROOT/apps/control-plane/dist/main.js" ] || die "apps/control-plane is not built"
  if pidfile_alive "$OJA_RUN/control-plane.pid"; then
    if wait_until 30 control_plane_ready; then
      say "control plane already running (pid $(cat "$OJA_RUN/control-plane.pid"))"
      return 0
    fi
    say "control plane (pid $(cat "$OJA_RUN/control-plane.pid")) is not ready: restarting it"
    stop_pid "$(cat "$OJA_RUN/control-plane.pid")"
  elif control_plane_ready; then
    say "a control plane not started by these scripts answers on $(api_url): using it"
    return 0
  fi
  say "starting the control plane (log: $OJA_LOG/control-plane.log)"
  start_daemon control-plane node "$OJA_ROOT/apps/control-plane/bin/oja-control-plane.js"
  wait_for_daemon control-plane 90 control_plane_ready
}

# The tenant `demo` and its token in $OJA_DEMO_TOKEN_FILE (0600); kept while the token still works.
ensure_demo_tenant() {
  if [ -s "$OJA_DEMO_TOKEN_FILE" ] && api GET /v1/deployments "$(cat "$OJA_DEMO_TOKEN_FILE")" && [ "$API_STATUS" = 200 ]; then
    return 0
  fi
  api POST /v1/tenants "$OJA_ADMIN_TOKEN" '{"name":"demo"}' || die "cannot reach $(api_url): $API_BODY"
  case $API_STATUS in
    200 | 201)
      (umask 077 && json_get j.token <<<"$API_BODY" >"$OJA_DEMO_TOKEN_FILE")
      chmod 0600 "$OJA_DEMO_TOKEN_FILE"
      say "created tenant demo (token in $OJA_DEMO_TOKEN_FILE)"
      ;;
    409)
      say "tenant demo exists but $OJA_DEMO_TOKEN_FILE holds no working token: create another tenant"
      say "with 'OJA_TOKEN=<admin token> npx oja tenants create NAME' and log in with its token"
      return 1
      ;;
    *) die "creating tenant demo failed: HTTP $API_STATUS $API_BODY" ;;
  esac
}

cli_login() {
  [ -f "$OJA_ROOT/apps/cli/dist/main.js" ] || { say "skipping the CLI login: apps/cli is not built yet"; return 0; }
  node "$OJA_ROOT/apps/cli/bin/oja.js" login --server "$(api_url)" --token "$(cat "$OJA_DEMO_TOKEN_FILE")" >&2 ||
    die "oja login failed"
}

node_ready() {
  api GET /v1/nodes "$OJA_ADMIN_TOKEN" && [ "$API_STATUS" = 200 ] &&
    [ "$(json_get "j.items.find((n) => n.name === process.argv[2])?.status" "$1" <<<"$API_BODY")" = ready ]
}

# One agent on this host. The first start joins with a fresh join token (the agent saves its flags);
# once the data dir holds its identity (identity.json, see apps/agent/src/identity/store.ts),
# `--data-dir` alone is enough.
ensure_agent() {
  if [ ! -f "$OJA_ROOT/apps/agent/dist/main.js" ]; then
    say "skipping the local agent: apps/agent is not built yet (no apps/agent/dist/main.js)"
    return 0
  fi
  local name=$(hostname) args=(--data-dir "$OJA_AGENT_DATA_DIR")
  [ ! -e "$OJA_AGENT_DATA_DIR/identity.json" ] || name=$(json_get j.nodeName <"$OJA_AGENT_DATA_DIR/identity.json")
  if pidfile_alive "$OJA_RUN/agent.pid"; then
    say "agent already running (pid $(cat "$OJA_RUN/agent.pid"))"
  else
    mkdir -p "$OJA_AGENT_DATA_DIR" && chmod 0700 "$OJA_AGENT_DATA_DIR"
    if [ ! -e "$OJA_AGENT_DATA_DIR/identity.json" ]; then
      api POST /v1/join-tokens "$OJA_ADMIN_TOKEN" '{}' && [[ $API_STATUS == 20[01] ]] ||
        die "creating a join token failed: HTTP $API_STATUS $API_BODY"
      args+=(--join "$(grpc_addr)" --token "$(json_get j.token <<<"$API_BODY")" --name "$name"
        --metrics-addr 127.0.0.1:7402)
    fi
    say "starting the agent as node $name (log: $OJA_LOG/agent.log)"
    start_daemon agent "$OJA_ROOT/apps/agent/bin/oja-agent.js" "${args[@]}"
  fi
  wait_for_daemon agent 90 node_ready "$name"
}
