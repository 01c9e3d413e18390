#!/bin/sh
# fuzz.sh — build the libFuzzer target tests/fuzz/fuzz_compile.c straight
# from compiler/*.c (ASan + UBSan) into a temporary folder and fuzz the
# front end for a bounded time, starting from a copy of tests/fuzz/corpus.
#
#   FUZZ_SECONDS=20   total fuzzing time (libFuzzer -max_total_time)
#
# Exit 0: no crash. Exit 77: clang or its fuzzer runtime is missing.
# On a crash the input is printed (od -c) and kept in $FUZZ_KEEP (default
# /tmp/aspen-fuzz-crashes) so it can be replayed and added to the corpus.
set -u
tests=$(cd "$(dirname "$0")/.." && pwd)
root=$(cd "$tests/.." && pwd)
secs=${FUZZ_SECONDS:-20}
keep=${FUZZ_KEEP:-/tmp/aspen-fuzz-crashes}

if ! command -v clang >/dev/null 2>&1; then
	echo "skipped: the fuzz run: clang is not installed (make deps installs clang libclang-rt-14-dev)"
	exit 77
fi
work=$(mktemp -d /tmp/aspen-fuzz.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT INT TERM

printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$work/probe.c"
if ! clang -fsanitize=fuzzer "$work/probe.c" -o "$work/probe" >"$work/probe.log" 2>&1; then
	cat "$work/probe.log"
	echo "skipped: the fuzz run: clang's libFuzzer runtime is missing (make deps installs libclang-rt-14-dev)"
	exit 77
fi

cflags=$(pkg-config --cflags yaml-0.1 libcjson) || exit 1
libs=$(pkg-config --libs yaml-0.1 libcjson) || exit 1
# shellcheck disable=SC2086  # word splitting of the flags is intended
if ! clang -g -O1 -std=c11 -D_GNU_SOURCE -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$root" $cflags "$root"/compiler/*.c "$tests/fuzz/fuzz_compile.c" \
	-o "$work/fuzz_compile" $libs -lpthread >"$work/build.log" 2>&1; then
	cat "$work/build.log"
	echo "fuzz.sh: building the fuzzer failed"
	exit 1
fi

cp -R "$tests/fuzz/corpus" "$work/corpus"
mkdir -p "$work/artifacts"
cd "$work" || exit 1
./fuzz_compile -max_total_time="$secs" -rss_limit_mb=1024 -timeout=5 \
	-max_len=65536 -dict="$tests/fuzz/yaml.dict" -print_final_stats=1 \
	-artifact_prefix="$work/artifacts/" corpus >"$work/fuzz.log" 2>&1
rc=$?
tail -n 25 "$work/fuzz.log"
if [ "$rc" != 0 ] || [ -n "$(ls "$work/artifacts")" ]; then
	mkdir -p "$keep"
	for a in "$work"/artifacts/*; do
		[ -e "$a" ] || continue
		cp "$a" "$keep/"
		echo "--- $(basename "$a") (kept in $keep):"
		od -c "$a" | head -n 40
	done
	echo "fuzz.sh: the fuzzer found a problem (exit $rc)"
	exit 1
fi
echo "fuzz.sh: no crash in ${secs}s"
