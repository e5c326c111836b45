# Installs the npm dependencies when needed and builds every package (sourced after common.sh).

# `npm ci` only when node_modules is missing or older than package-lock.json: npm writes
# node_modules/.package-lock.json at the end of every install, so its age is the install's age.
ensure_node_modules() {
  if [ -d "$OJA_ROOT/node_modules" ] && ! [ "$OJA_ROOT/package-lock.json" -nt "$OJA_ROOT/node_modules/.package-lock.json" ]; then
    return 0
  fi
  say "installing npm dependencies (npm ci)"
  (cd "$OJA_ROOT" && npm ci --no-audit --no-fund) || die "npm ci failed"
}

build_all() {
  say "building (nx run-many -t build)"
  (cd "$OJA_ROOT" && CI=true npx nx run-many -t build) || die "the build failed"
}
