# Installs the Debian packages oja needs, with apt, only when some are missing (sourced, not run).

# What a node running the control plane and an agent needs (README's `npm run up`).
OJA_PACKAGES=(postgresql redis-server docker.io wireguard-tools haproxy busybox-static iptables ipset
  iproute2 protobuf-compiler curl openssl)
# What the test layers need on top: the multi-host lab (test/lab) runs a private registry with
# htpasswd logins, uses nftables inside its simulated hosts and captures the underlay with tcpdump.
OJA_TEST_PACKAGES=(docker-registry apache2-utils nftables tcpdump)

package_installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }

_apt_updated=
# ensure_packages PKG...: apt-get install those not installed yet (`apt-get update` once, first).
ensure_packages() {
  local missing=() p
  for p in "$@"; do package_installed "$p" || missing+=("$p"); done
  [ ${#missing[@]} -gt 0 ] || return 0
  [ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); run as root to install them"
  say "installing ${missing[*]}"
  # never ask anything (CI has no stdin); needrestart, if installed, only lists
  export DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l
  if [ -z "$_apt_updated" ]; then apt-get update -q >&2 || die "apt-get update failed"; _apt_updated=1; fi
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
}

# Without a kernel WireGuard module (`ip link add … type wireguard` fails) the agent runs wireguard-go.
kernel_has_wireguard() {
  local probe=ojawgprobe$$
  ip link add "$probe" type wireguard 2>/dev/null || return 1
  ip link del "$probe" 2>/dev/null
  return 0
}

# ensure_oja_packages [test]: the node's packages (plus the test ones with `test`), and wireguard-go
# when the kernel cannot do WireGuard itself.
ensure_oja_packages() {
  local wanted=("${OJA_PACKAGES[@]}")
  [ "${1:-}" != test ] || wanted+=("${OJA_TEST_PACKAGES[@]}")
  ensure_packages "${wanted[@]}"
  kernel_has_wireguard || ensure_packages wireguard-go
}

# Node.js is not installed by these scripts (it runs npm itself); fail early on an old one.
ensure_node_version() {
  local v
  v=$(node -p 'process.versions.node' 2>/dev/null) || die "Node.js is not installed (need >= 20.19)"
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
    die "Node.js $v is too old: oja needs >= 20.19"
}
