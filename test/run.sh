#!/usr/bin/env bash
# `npm test` (and .ci/run): sets up what the tests stand on (packages, Postgres, Redis, dockerd, the
# oja/busybox:1 image, npm ci, build — the functions `npm run up` uses, but no control plane or
# agent), then runs every test layer in order and stops at the first one that fails:
#   unit (+ typecheck) → integration (Postgres + Redis) → e2e (single host, dockerd) → lab (multi-host)
# Works on a clean clone with nothing running, CI=true and no stdin. Ends with a summary per layer.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. deploy/lib/setup.sh
export CI=${CI:-true}

[ "$(id -u)" = 0 ] || die "npm test sets up Postgres, Redis and dockerd and runs the multi-host lab: run it as root
  (npm run test:unit needs neither root nor services)"

# ---- set-up ----------------------------------------------------------------------------------------
printf '\n==== set-up ====\n'
oja_setup test
exec 9>&- # set-up done: release the lock (tests may run alongside another set-up)

# ---- layers ----------------------------------------------------------------------------------------
OJA_TEST_SUMMARY=$(mktemp)
export OJA_TEST_SUMMARY
trap 'rm -f "$OJA_TEST_SUMMARY"' EXIT
# --forceExit: a test that leaks a handle must not hang CI (find leaks with `npx jest
# --detectOpenHandles`); every command also runs under `timeout`, the last guard against a hang.
JEST_FLAGS=(--ci --forceExit --reporters=default "--reporters=$PWD/test/summary-reporter.js")

heading() { printf '\n==== %s ====\n' "$1"; }

# guarded SECONDS CMD...: CMD, killed (its whole process group) if it runs longer than SECONDS.
guarded() {
  local limit=$1 rc=0
  shift
  timeout --kill-after=30 "$limit" "$@" || rc=$?
  [ "$rc" != 124 ] || LAYER_NOTE="timed out after ${limit}s"
  return "$rc"
}

# Jest per project, then tsc over every project and every test directory with its own tsconfig.json
# (swc strips types without checking them).
unit_layer() {
  local rc=0 tsconfig
  guarded 900 npx nx run-many -t test "${JEST_FLAGS[@]}" --passWithNoTests || rc=1
  heading "unit: typecheck"
  guarded 900 npx nx run-many -t typecheck || { rc=1; LAYER_NOTE="typecheck failed"; }
  for tsconfig in $(find test -name tsconfig.json -not -path '*/node_modules/*' | sort); do
    echo "tsc -p $tsconfig"
    guarded 300 npx tsc -p "$tsconfig" || { rc=1; LAYER_NOTE="typecheck failed"; }
  done
  return "$rc"
}

# jest_layer CONFIG DIR SUFFIX SECONDS [JEST ARGS]: the layer's Jest run; skipped (2) without tests.
jest_layer() {
  local config=$1 dir=$2 suffix=$3 limit=$4
  shift 4
  if [ -z "$(find "$dir" -name "*$suffix" -print -quit 2>/dev/null)" ]; then
    LAYER_NOTE="no $dir/**/*$suffix tests yet"
    return 2
  fi
  guarded "$limit" npx jest -c "$config" "${JEST_FLAGS[@]}" "$@"
}

RESULTS=() # "name|status|seconds|note"
FAILED_LAYER=
# layer NAME CMD...: runs CMD (0 ok, 2 skipped, else failed) unless an earlier layer failed.
layer() {
  local name=$1 start=$SECONDS rc=0 status
  shift
  if [ -n "$FAILED_LAYER" ]; then
    RESULTS+=("$name|skipped|0|$FAILED_LAYER failed")
    return 0
  fi
  heading "$name"
  LAYER_NOTE=
  OJA_TEST_LAYER=$name "$@" || rc=$?
  case $rc in
    0) status=ok ;;
    2) status=skipped && echo "skipped: $LAYER_NOTE" ;;
    *) status=FAILED && FAILED_LAYER=$name ;;
  esac
  RESULTS+=("$name|$status|$((SECONDS - start))|$LAYER_NOTE")
}

layer unit unit_layer
layer integration jest_layer test/integration.jest.config.js test/integration .int.ts 900
layer e2e jest_layer test/e2e.jest.config.js test/e2e .e2e.ts 900 --runInBand
layer lab jest_layer test/lab.jest.config.js test/lab .lab.ts 1200 --runInBand

# ---- summary ---------------------------------------------------------------------------------------
# tally [LAYER] [--projects]: test counts from the summary reporter's rows (all layers without LAYER).
tally() {
  node -e '
    const [file, layer, projects] = process.argv.slice(1);
    const rows = require("fs").readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l))
      .filter((r) => !layer || r.layer === layer);
    const line = (rs) => {
      const sum = (k) => rs.reduce((n, r) => n + r[k], 0);
      return `${sum("passed")} passed, ${sum("failed")} failed` +
        (sum("broken") ? ` (${sum("broken")} of them suites that could not run)` : "") +
        (sum("skipped") ? `, ${sum("skipped")} skipped` : "");
    };
    if (projects) for (const r of rows) console.log(`    ${r.project.padEnd(24)} ${line([r])}`);
    else console.log(line(rows));' "$OJA_TEST_SUMMARY" "${1:-}" "${2:-}"
}

heading summary
declare -A count=([ok]=0 [FAILED]=0 [skipped]=0)
for row in "${RESULTS[@]}"; do
  IFS='|' read -r name status secs note <<<"$row"
  count[$status]=$((count[$status] + 1))
  tests=
  [ "$status" = skipped ] || tests="$(tally "$name"), ${secs}s"
  printf '%-12s %-8s %s%s\n' "$name" "$status" "$tests" "${note:+ ($note)}"
  [ "$name" != unit ] || [ "$status" = skipped ] || tally unit --projects
done
echo
echo "layers: ${count[ok]} passed, ${count[FAILED]} failed, ${count[skipped]} skipped"
echo "tests:  $(tally)"
[ -z "$FAILED_LAYER" ] || { echo "npm test FAILED (layer: $FAILED_LAYER)"; exit 1; }
echo "npm test passed"
