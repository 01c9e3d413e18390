#!/bin/sh
# sandbox.sh CMD... — run CMD in private network, mount and pid namespaces.
#
# Nothing a test does can reach the host's interfaces: the network namespace is
# new (only lo, brought up here). /run is a private tmpfs, so named namespaces
# (/run/netns), aspen's runtime dir (/run/aspen) and its state (ASPEN_STATE_DIR)
# vanish with the sandbox. The pid namespace guarantees that every process a
# test starts dies with it, even if the test itself crashes.
set -eu
# Making / private needs / to be a mount point, which it is not in a plain
# chroot; say so in one line rather than leave unshare's "Invalid argument".
if command -v mountpoint >/dev/null 2>&1 && ! mountpoint -q /; then
	echo "sandbox.sh: / is not a mount point (a plain chroot?): bind-mount the chroot's directory onto itself (mount --bind DIR DIR) before chroot, or use unshare --root / systemd-nspawn" >&2
	exit 1
fi
export ASPEN_SANDBOX=1   # tools that touch the kernel (bench_nl) refuse to run outside
exec unshare --net --mount --pid --fork --mount-proc --propagation private -- \
	sh -c 'mount -t tmpfs -o mode=0755 aspen-sandbox /run &&
	       mkdir -p /run/aspen-state && export ASPEN_STATE_DIR=/run/aspen-state &&
	       ip link set lo up && exec "$@"' sandbox "$@"
