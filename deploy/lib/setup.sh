# The set-up `npm run up` and `npm test` share (sourced): packages, env file, services, test image,
# npm dependencies and the build. It starts no control plane or agent (that is cluster.sh).
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
. "$OJA_ROOT/deploy/lib/ensure-packages.sh"
. "$OJA_ROOT/deploy/lib/ensure-services.sh"
. "$OJA_ROOT/deploy/lib/ensure-build.sh"

# oja_setup [test]: everything, holding the set-up lock (see oja_lock); `test` adds the test packages.
oja_setup() {
  ensure_node_version
  oja_lock
  ensure_oja_packages "${1:-}"
  ensure_env_file
  ensure_postgres
  ensure_redis
  ensure_docker
  ensure_image
  ensure_node_modules
  build_all
}
