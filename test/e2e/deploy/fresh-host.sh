#!/usr/bin/env bash
# Runs "$@" as on a freshly installed host, for tests of deploy/up.sh and deploy/down.sh. Start it as
#   unshare --mount --net --pid --fork --mount-proc bash fresh-host.sh CMD...
# CMD sees empty state directories for Postgres, Redis, Docker and oja (tmpfs, private to this mount
# namespace), a network namespace holding only lo and a veth "eth0" (the agent needs an underlay
# address), and whatever it starts dies with the pid namespace. The installed packages and the
# repository (node_modules, dist) are the host's.
set -euo pipefail
mount --make-rprivate /
ip link set lo up
ip link add eth0 type veth peer name eth0-peer
ip addr add 198.51.100.2/24 dev eth0
ip link set eth0 up
ip link set eth0-peer up
for dir in /run /etc/oja /var/lib/oja /var/log/oja /etc/postgresql /var/lib/postgresql /var/log/postgresql \
  /var/lib/docker /var/lib/containerd /root/.config; do
  mkdir -p "$dir" && mount -t tmpfs tmpfs "$dir"
done
chown postgres:postgres /var/lib/postgresql /var/log/postgresql
mkdir -p /run/lock
exec "$@"
