# Makes the services oja stands on answer: the env file, Postgres, Redis, dockerd, and the local test
# image (sourced after common.sh, not run). Each ensure_* leaves a healthy service alone, starts only
# what is missing, and marks what it started so down.sh can stop it.

OJA_DOCKER_SOCK=${OJA_DOCKER_SOCK:-/var/run/docker.sock}
OJA_TEST_IMAGE=oja/busybox:1

# url_field URL FIELD: one part of a URL, percent-decoded (FIELD: username password hostname port path).
url_field() {
  node -e 'const u = new URL(process.argv[1]); const v = u[process.argv[2]];
    console.log(decodeURIComponent(process.argv[2] === "path" ? u.pathname.slice(1) : v))' "$1" "$2"
}
is_loopback() { case $1 in 127.0.0.1 | localhost | ::1 | '[::1]') return 0 ;; *) return 1 ;; esac; }

# ---- /etc/oja/oja.env ----------------------------------------------------------------------------

env_has() { grep -q "^$1=" "$OJA_ENV_FILE"; }
env_add() {
  env_has "$1" && return 0
  # keep one setting per line even if the file was edited without a final newline
  [ ! -s "$OJA_ENV_FILE" ] || [ -z "$(tail -c1 "$OJA_ENV_FILE")" ] || echo >>"$OJA_ENV_FILE"
  printf '%s=%s\n' "$1" "$2" >>"$OJA_ENV_FILE"
  say "added $1 to $OJA_ENV_FILE"
}

# Adds the settings that are missing (existing values are kept: running systems use them), then
# exports them all. Secrets are generated once.
ensure_env_file() {
  mkdir -p "$OJA_ETC"
  (umask 077 && touch "$OJA_ENV_FILE")
  chmod 0600 "$OJA_ENV_FILE"
  env_add OJA_DATABASE_URL "postgres://oja:$(rand_hex 16)@127.0.0.1:$(postgres_default_port)/oja"
  env_add OJA_REDIS_URL redis://127.0.0.1:6379
  env_has OJA_SECRET_KEY || env_has OJA_SECRET_KEY_FILE || env_add OJA_SECRET_KEY "$(rand_hex 32)"
  env_add OJA_ADMIN_TOKEN "$(rand_hex 32)"
  load_env_file "$OJA_ENV_FILE"
}

# ---- Postgres ------------------------------------------------------------------------------------

# pg_lsclusters rows: VERSION CLUSTER PORT STATUS OWNER DATADIR LOGFILE
postgres_default_port() { pg_lsclusters -h 2>/dev/null | sort -V | awk 'END { print ($3 == "" ? 5432 : $3) }'; }

# Runs psql as the postgres superuser over the local socket (peer auth, no password needed).
pg_admin() { (cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" "$@"); }
db_login_ok() { PGCONNECT_TIMEOUT=5 psql -X -Atq "$OJA_DATABASE_URL" -c 'select 1' >/dev/null 2>&1; }

# Starts the local cluster that serves the URL's port (creating one if the host has none at all).
start_local_postgres() {
  local row ver name status
  row=$(pg_lsclusters -h 2>/dev/null | awk -v p="$PG_PORT" '$3 == p')
  if [ -z "$row" ] && [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
    ver=$(ls /usr/lib/postgresql | sort -V | tail -n1)
    say "creating Postgres cluster $ver/main"
    pg_createcluster -p "$PG_PORT" "$ver" main >&2
    row=$(pg_lsclusters -h | awk -v p="$PG_PORT" '$3 == p')
  fi
  [ -n "$row" ] || die "no local Postgres cluster listens on port $PG_PORT (OJA_DATABASE_URL); see pg_lsclusters"
  read -r ver name _ status _ <<<"$row"
  case $status in online*) return 0 ;; esac
  say "starting Postgres $ver/$name"
  pg_ctlcluster "$ver" "$name" start >&2 9>&- || die "pg_ctlcluster $ver $name start failed"
  echo "$ver $name" >"$OJA_STARTED/postgres"
}

# The role and database named in OJA_DATABASE_URL exist, and the URL logs in. The role's password
# is set to the URL's only when logging in fails (others may be connected with it right now).
ensure_postgres() {
  local host user pass db
  host=$(url_field "$OJA_DATABASE_URL" hostname)
  if ! is_loopback "$host"; then
    db_login_ok || die "cannot log in to the external Postgres in OJA_DATABASE_URL ($host)"
    return 0
  fi
  PG_PORT=$(url_field "$OJA_DATABASE_URL" port); PG_PORT=${PG_PORT:-5432}
  user=$(url_field "$OJA_DATABASE_URL" username)
  pass=$(url_field "$OJA_DATABASE_URL" password)
  db=$(url_field "$OJA_DATABASE_URL" path)
  [[ $user =~ ^[a-z_][a-z0-9_]*$ && $db =~ ^[a-z_][a-z0-9_]*$ ]] ||
    die "OJA_DATABASE_URL: role and database must be plain lower-case names (got '$user', '$db')"
  start_local_postgres
  if [ -z "$(pg_admin -Atc "select 1 from pg_roles where rolname = '$user'")" ]; then
    say "creating Postgres role $user"
    pg_admin -v pw="$pass" <<<"CREATE ROLE \"$user\" LOGIN CREATEDB PASSWORD :'pw';"
  fi
  if [ -z "$(pg_admin -Atc "select 1 from pg_database where datname = '$db'")" ]; then
    say "creating database $db"
    pg_admin -c "CREATE DATABASE \"$db\" OWNER \"$user\""
  fi
  db_login_ok && return 0
  say "role $user cannot log in with the password in $OJA_ENV_FILE: setting it"
  pg_admin -v pw="$pass" <<<"ALTER ROLE \"$user\" LOGIN CREATEDB PASSWORD :'pw';"
  db_login_ok || die "cannot log in with OJA_DATABASE_URL even after setting the password (check pg_hba.conf)"
}

# ---- Redis ---------------------------------------------------------------------------------------

redis_ping() { [ "$(redis-cli -u "$OJA_REDIS_URL" ping 2>/dev/null)" = PONG ]; }

# Redis only carries work and wake-ups (Postgres holds all state), so ours runs without persistence.
ensure_redis() {
  redis_ping && return 0
  local host port
  host=$(url_field "$OJA_REDIS_URL" hostname)
  is_loopback "$host" || die "Redis at $OJA_REDIS_URL does not answer"
  ! pidfile_alive "$OJA_RUN/redis.pid" || die "redis-server (pid $(cat "$OJA_RUN/redis.pid")) runs but does not answer"
  port=$(url_field "$OJA_REDIS_URL" port)
  mkdir -p "$OJA_LIB/redis"
  say "starting redis-server on 127.0.0.1:${port:-6379}"
  redis-server --bind 127.0.0.1 --port "${port:-6379}" --daemonize yes --pidfile "$OJA_RUN/redis.pid" \
    --logfile "$OJA_LOG/redis.log" --dir "$OJA_LIB/redis" --save '' --appendonly no 9>&-
  mark_started redis
  wait_until 20 redis_ping || { log_tail redis; die "redis-server did not answer on $OJA_REDIS_URL"; }
}

# ---- Docker --------------------------------------------------------------------------------------

docker_cli() { docker -H "unix://$OJA_DOCKER_SOCK" "$@"; }
docker_ping() { curl -fs --max-time 5 --unix-socket "$OJA_DOCKER_SOCK" http://localhost/_ping >/dev/null; }

ensure_docker() {
  docker_ping && return 0
  local f
  for f in "$OJA_RUN/dockerd.pid" /var/run/docker.pid; do
    ! pidfile_alive "$f" || die "dockerd (pid $(cat "$f")) runs but $OJA_DOCKER_SOCK does not answer; not starting another"
  done
  say "starting dockerd on $OJA_DOCKER_SOCK"
  start_daemon dockerd dockerd --host "unix://$OJA_DOCKER_SOCK" --iptables=true
  wait_until 60 docker_ping || { log_tail dockerd; die "dockerd did not answer on $OJA_DOCKER_SOCK"; }
}

# The image tests and the example deployment run, built without any registry: a rootfs of the static
# busybox (sh, httpd, nc, wget, ...) with a page in /www, imported as a one-layer image.
ensure_image() {
  docker_cli image inspect "$OJA_TEST_IMAGE" >/dev/null 2>&1 && return 0
  say "building $OJA_TEST_IMAGE from busybox-static"
  local r applet
  r=$(mktemp -d)
  mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/root" "$r/www"
  chmod 1777 "$r/tmp"
  cp "$(command -v busybox)" "$r/bin/busybox"
  for applet in $("$r/bin/busybox" --list); do [ -e "$r/bin/$applet" ] || ln -s busybox "$r/bin/$applet"; done
  for applet in httpd nc wget; do [ -e "$r/bin/$applet" ] || die "busybox has no $applet applet"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
  echo "hello from oja" >"$r/www/index.html"
  tar -C "$r" -c . | docker_cli import --change 'ENV PATH=/bin' --change 'CMD ["sh"]' - "$OJA_TEST_IMAGE" >/dev/null
  rm -rf "$r"
}
