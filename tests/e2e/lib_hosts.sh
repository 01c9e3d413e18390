# lib_hosts.sh — simulated hosts for the multi-host end-to-end tests and
# bench (docs/multihost.md), sourced after tests/e2e/lib.sh (or by a
# script that defines fail and WORK, as bench/multihost.sh does).
#
# A host is a network + mount namespace held by one process this file
# started (a `sleep`, its "holder"). Its mount namespace has a tmpfs of its
# own on /run, so /run/netns, /run/aspen and its aspen state dir
# (/run/aspen-state, ASPEN_STATE_DIR) belong to that host alone, while the
# rest of the file system (the aspen binary, the topology file, $WORK) is
# the sandbox's. Its network namespace has lo up and an "underlay": a veth,
# eth0 with 10.99.0.<i>/24 inside the host, whose other end is a port of
# the bridge "underlay" in the sandbox's own namespace (the controller's).
#
# The product reaches a host through a wrapper outside /run,
# $HOSTS_DIR/<host>/enter, which runs its arguments inside the host
# (nsenter -n -m -r); ASPEN_TRANSPORT='$HOSTS_DIR/{host}/enter' and
# ASPEN_REMOTE=$ASPEN tell aspen to use it (docs/multihost.md "The
# transport"). The wrapper also lets a test hold a host's commands back
# (host_hold / host_release) to stop a controller at a known point.
#
# Everything is undone by hosts_down, which kills only the holders started
# here, by pid, and checks that nothing of a host is left: no process in its
# namespaces, its underlay port gone.
: "${ASPEN:?}" "${WORK:?}"
HOSTS_DIR=$WORK/hosts
HOSTS=""
UNDERLAY=10.99.0

# hosts_up N: start simulated hosts h1..hN (host i has 10.99.0.i).
hosts_up() {
	mkdir -p "$HOSTS_DIR"
	ip link add underlay type bridge || fail "cannot create the underlay bridge"
	ip link set underlay up
	i=1
	while [ "$i" -le "$1" ]; do
		host_start "h$i" "$i"
		i=$((i + 1))
	done
	export ASPEN_TRANSPORT="$HOSTS_DIR/{host}/enter" ASPEN_REMOTE="$ASPEN"
	trap 'hosts_kill; rm -rf "$WORK"' EXIT
}

# host_start NAME I: one host (see above).
host_start() {
	d=$HOSTS_DIR/$1
	mkdir -p "$d"
	# The holder's sleep is the namespaces' lifetime; "ready" says /run is
	# mounted and lo is up, so nothing enters a half-made host.
	unshare --net --mount --propagation private -- sh -c '
		mount -t tmpfs -o mode=0755 "aspen-host-$1" /run &&
		mkdir -p /run/aspen-state && ip link set lo up && : >"$2/ready" &&
		exec sleep 2147483647' holder "$1" "$d" &
	pid=$!
	echo "$pid" >"$d/pid"
	n=0
	while [ ! -e "$d/ready" ]; do
		kill -0 "$pid" 2>/dev/null || fail "host $1: its holder exited during setup"
		n=$((n + 1)); [ $n -lt 600 ] || fail "host $1: not ready after 600 polls"
		sleep 0.05
	done
	# What the namespaces are, to find anything left in them later.
	readlink "/proc/$pid/ns/net" >"$d/netns"
	readlink "/proc/$pid/ns/mnt" >"$d/mntns"
	[ "$(cat "$d/netns")" != "$(readlink /proc/self/ns/net)" ] || fail "host $1 shares the sandbox's network namespace"
	cat >"$d/enter" <<EOF
#!/bin/sh
# Run a command inside simulated host $1 (holder pid $pid). While the file
# $d/hold exists, a command with the word it holds waits here (host_hold).
if [ -e "$d/hold" ]; then
	w=\$(cat "$d/hold")
	case " \$* " in *" \$w "*)
		while [ -e "$d/hold" ]; do sleep 0.05; done ;;
	esac
fi
# -r: the holder's root, not the mount namespace's (they differ in a
# chroot, where the tests of a fresh machine run); --wd: the caller's folder.
exec nsenter -t $pid -n -m -r --wd="\$PWD" -- env ASPEN_STATE_DIR=/run/aspen-state "\$@"
EOF
	chmod 0755 "$d/enter"
	ip link add "u$1" type veth peer name eth0 netns "$pid" || fail "host $1: underlay veth"
	ip link set "u$1" master underlay up
	on_host "$1" ip addr add "$UNDERLAY.$2/24" dev eth0 || fail "host $1: underlay address"
	on_host "$1" ip link set eth0 up || fail "host $1: underlay up"
	HOSTS="$HOSTS $1"
}

# on_host HOST CMD...: run CMD inside HOST.
on_host() {
	h=$1; shift
	"$HOSTS_DIR/$h/enter" "$@"
}

# host_hold HOST WORD / host_release HOST: hold HOST's commands that have
# the word WORD (`apply`, `--revert`) in its wrapper, before they reach the
# host, until released.
host_hold() { echo "$2" >"$HOSTS_DIR/$1/hold"; }
host_release() { rm -f "$HOSTS_DIR/$1/hold"; }

# host_procs HOST: the processes inside HOST — in its network or mount
# namespace, or in a named network namespace of its /run/netns — its holder
# excepted, as "pid args" lines.
host_procs() {
	d=$HOSTS_DIR/$1
	hp=$(cat "$d/pid") mnt=$(cat "$d/mntns")
	nets=" $(cat "$d/netns") "
	if [ ! -e "$d/down" ]; then
		for i in $(on_host "$1" sh -c 'for f in /run/netns/*; do [ -e "$f" ] && stat -L -c %i "$f"; done; true'); do
			nets="$nets net:[$i] "
		done
	fi
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		[ "$pid" = "$hp" ] && continue
		pn=$(readlink "$p/ns/net" 2>/dev/null) || continue
		pm=$(readlink "$p/ns/mnt" 2>/dev/null) || continue
		case $nets in *" $pn "*) ;; *) [ "$pm" = "$mnt" ] || continue ;; esac
		echo "$pid $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)"
	done
}

# host_assert_clean HOST NAME: nothing of topology NAME (or of aspen at
# all) is left on HOST, checked with ip, nft and the file system inside it:
# no named namespace, no link but lo and the underlay, no nf_tables table,
# no state or runtime dir, no process.
host_assert_clean() {
	h=$1 name=$2
	left=$(on_host "$h" ip netns list 2>&1) || fail "$h: ip netns list: $left"
	[ -z "$left" ] || fail "$h: namespaces left: $left"
	left=$(on_host "$h" ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' |
		grep -v -x -e lo -e eth0 || true)
	[ -z "$left" ] || fail "$h: links left: $(on_host "$h" ip -o -d link show)"
	left=$(on_host "$h" nft list tables 2>&1) || fail "$h: nft list tables: $left"
	[ -z "$left" ] || fail "$h: nft tables left: $left"
	on_host "$h" test ! -e "/run/aspen-state/$name" || fail "$h: state dir left: $(on_host "$h" ls -la "/run/aspen-state/$name")"
	on_host "$h" test ! -e "/run/aspen/$name" || fail "$h: runtime dir left: $(on_host "$h" ls -la "/run/aspen/$name")"
	left=$(on_host "$h" sh -c 'ls /run/aspen/netns 2>/dev/null' || true)
	[ -z "$left" ] || fail "$h: namespace markers left: $left"
	left=$(host_procs "$h")
	[ -z "$left" ] || fail "$h: processes left: $left"
}

# hosts_wait_idle PATTERN: wait until no process's command line matches
# PATTERN (grep -E), e.g. the aspen parts a killed controller left running
# on the hosts; fail after 1200 polls (a hang, not a timing assertion).
hosts_wait_idle() {
	n=0
	while ps -eo args= | grep -E -- "$1" | grep -v -e grep >/dev/null; do
		n=$((n + 1))
		[ $n -lt 1200 ] || fail "still running after 1200 polls: $(ps -eo pid=,args= | grep -E -- "$1" | grep -v grep)"
		sleep 0.05
	done
}

# hosts_down: kill every holder (by pid), wait for it, then check that no
# process is left in any host's namespaces and that the kernel freed each
# host's network namespace (its underlay port leaves the bridge).
hosts_down() {
	for h in $HOSTS; do
		left=$(host_procs "$h")
		[ -z "$left" ] || fail "$h: processes left before teardown: $left"
	done
	hosts_kill
	for h in $HOSTS; do
		left=$(host_procs "$h")
		[ -z "$left" ] || fail "$h: processes left after teardown: $left"
		n=0
		# Namespace cleanup is asynchronous in the kernel: poll, bounded.
		while ip link show "u$h" >/dev/null 2>&1; do
			n=$((n + 1)); [ $n -lt 600 ] || fail "$h: underlay port still there (its network namespace lives on)"
			sleep 0.05
		done
	done
	ip link del underlay
	HOSTS=""
}

# hosts_kill: kill and reap the holders still running (the EXIT trap's
# safety net; hosts_down checks after it).
hosts_kill() {
	for h in $HOSTS; do
		d=$HOSTS_DIR/$h
		[ -e "$d/down" ] && continue
		pid=$(cat "$d/pid")
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		: >"$d/down"
	done
}
