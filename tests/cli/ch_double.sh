#!/bin/sh
# ch_double.sh — the CH v48 API double at the HTTP and command-line level,
# checked with curl (no root: no TAPs here, see tests/kernel/test_ch_client.c).
set -u
D="$BUILD/tools/ch-double"
[ -x "$D" ] || { echo "no $D"; exit 1; }
command -v curl >/dev/null || { echo "curl not installed"; exit 77; }
tmp=$(mktemp -d /tmp/aspen-chd-cli.XXXXXX)
sock="$tmp/api.sock"
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/log" ] && sed 's/^/  log: /' "$tmp/log"; exit 1; }

# want STATUS BODY -- curl args: one request, exact status and body
want() {
	st=$1 body=$2; shift 2
	out=$(curl -s --unix-socket "$sock" -o "$tmp/body" -w '%{http_code}' "$@") || fail "curl $*"
	got=$(cat "$tmp/body")
	[ "$out" = "$st" ] || fail "$* -> $out (want $st) body: $got"
	[ "$got" = "$body" ] || fail "$* -> body $got (want $body)"
}
U=http://localhost/api/v1

# command line
[ "$("$D" --version)" = "cloud-hypervisor v48.0" ] || fail "--version"
[ "$("$D" -V -v | tail -n 1)" = 'Enabled features: ["io_uring", "kvm"]' ] || fail "-V -v"
"$D" --no-such-flag 2>"$tmp/err"; [ $? = 2 ] || fail "unknown flag must exit 2"
grep -q "unexpected argument '--no-such-flag'" "$tmp/err" || fail "unknown flag message"
"$D" --api-socket "$sock" --serial tty 2>"$tmp/err"; [ $? = 2 ] || fail "--serial without payload must exit 2"
"$D" 2>/dev/null; [ $? = 2 ] || fail "no arguments must exit 2"

# a bare path works as well as path=...
"$D" --api-socket "$sock" -v 2>"$tmp/log" &
pid=$!
for i in $(seq 100); do [ -S "$sock" ] && break; sleep 0.02; done
[ -S "$sock" ] || fail "socket never appeared"
[ "$(stat -c %a "$sock")" = 700 ] || fail "socket mode (CH sets umask 077)"
"$D" --api-socket "path=$sock" 2>"$tmp/err"; [ $? = 1 ] || fail "second bind must exit 1"
grep -q "Error creation API server's socket" "$tmp/err" || fail "bind error chain"

want 404 '["Not Found"]' $U/vm.nope
want 404 '["Not Found"]' http://localhost/vmm.ping
want 400 '["Bad Request"]' -X PUT $U/vmm.ping
want 400 '["Bad Request"]' $U/vm.boot
want 400 '["Bad Request"]' -X PUT -d '{}' $U/vm.boot
want 400 '' -X PATCH $U/vm.boot
want 400 '' -X PUT -H 'Content-Length: 0' $U/vm.create
want 400 '["Bad Request"]' $U/vm.create
want 400 '["Failed to deserialize JSON","expected value at line 1 column 1"]' -X PUT -d 'x' $U/vm.create
want 400 '["Failed to deserialize JSON","trailing characters at line 1 column 4"]' -X PUT -d '{} x' $U/vm.create
# a type error met before a syntax error wins, as in serde_json's single pass
want 400 '["Failed to deserialize JSON","missing field `size` at line 1 column 12"]' \
	-X PUT -d '{"memory":{} "' $U/vm.create
want 400 '["Failed to deserialize JSON","expected `,` or `}` at line 1 column 22"]' \
	-X PUT -d '{"memory":{"size":1} "' $U/vm.create
want 400 '["Failed to deserialize JSON","invalid type: string \"1\", expected struct CpusConfig at line 1 column 11"]' \
	-X PUT -d '{"cpus":"1"}' $U/vm.create
want 400 '["Failed to deserialize JSON","duplicate field `cpus` at line 1 column 45"]' \
	-X PUT -d '{"cpus":{"boot_vcpus":1,"max_vcpus":1},"cpus":{}}' $U/vm.create
want 400 '["Failed to deserialize JSON","invalid value: integer `256`, expected u8 at line 1 column 57"]' \
	-X PUT -d '{"cpus":{"boot_vcpus":1,"max_vcpus":1,"max_phys_bits":256}}' $U/vm.create
want 400 '["Failed to deserialize JSON","The provided MAC address is invalid: parsing of 1:2 into a MAC address failed at line 1 column 20"]' \
	-X PUT -d '{"net":[{"mac":"1:2"}]}' $U/vm.create
want 400 '["Failed to deserialize JSON","invalid type: floating point `1.5`, expected u64 at line 1 column 21"]' \
	-X PUT -d '{"memory":{"size":1.5}}' $U/vm.create
# no payload is accepted by serde in v48; boot then fails validation
want 204 '' -X PUT -d '{"unknown_field":1,"console":{"mode":"Off"}}' $U/vm.create
want 500 '["Error from API","The VM could not boot","Failed to validate config","Payload configuration is not bootable","No bootitem provided: neither firmware nor kernel"]' \
	-X PUT $U/vm.boot
want 500 '["Error from API","The VM could not be created","VM is already created"]' -X PUT -d '{}' $U/vm.create
want 204 '' -X PUT $U/vm.delete
want 500 '["Error from API","The VM could not be created","Error creating console devices","Error creating console device","No such file or directory (os error 2)"]' \
	-X PUT -d '{"console":{"mode":"File","file":"/nonexistent/dir/c.log"}}' $U/vm.create
want 204 '' -X PUT $U/vm.delete
want 500 '["Error from API","The VM info is not available","VM is not running"]' $U/vm.counters

# micro_http: chunked bodies are not decoded, the chunk is read as a request line
out=$(printf 'PUT /api/v1/vm.create HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n' |
	curl -s --unix-socket "$sock" telnet://localhost -m 1 2>/dev/null | head -c 400)
printf '%s' "$out" | grep -q '^HTTP/1.1 400 ' || fail "chunked: $out"
printf '%s' "$out" | grep -q 'Invalid request.' || fail "chunked: no parse error: $out"
# keep-alive: two requests, one connection
curl -sv --unix-socket "$sock" $U/vmm.ping $U/vmm.ping -o /dev/null -o /dev/null 2>"$tmp/v"
grep -q 'Re-using existing connection' "$tmp/v" || fail "connection not kept alive"
grep -q '^< Connection: keep-alive' "$tmp/v" || fail "no keep-alive header"
grep -q '^< Server: Cloud Hypervisor API' "$tmp/v" || fail "Server header"

# vmm.shutdown answers 200 (v48 code; the spec says 204), then the process exits and removes its socket
want 200 '' -X PUT $U/vmm.shutdown
wait "$pid"; rc=$?; pid=
[ "$rc" = 0 ] || fail "exit status $rc after vmm.shutdown"
[ -e "$sock" ] && fail "socket left behind"
grep -q '#1 GET /api/v1/vm.nope -> 404' "$tmp/log" || fail "request log"

# SIGTERM: clean exit, socket removed
"$D" --api-socket "path=$sock" 2>"$tmp/log" &
pid=$!
for i in $(seq 100); do [ -S "$sock" ] && break; sleep 0.02; done
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM"
[ -e "$sock" ] && fail "socket left behind after SIGTERM"
echo "ok"
