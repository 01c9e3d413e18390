# lib.sh — helpers the bench scripts share (sourced, not run).
#
#   bench_loop NAME RUNS CMD...   RUNS runs of CMD (output dropped); appends
#                                 the mean ms per run of this round to
#                                 $tmp/NAME (the caller sets tmp)
#   bench_stats NAME              "median  min..max" of those round means
#   bench_verdict VALUE LIMIT     PASS when VALUE < LIMIT, else MISS
#   bench_load                    the 1-minute load average now
bench_now_ns() { date +%s%N; }
bench_loop() {
	_name=$1 _runs=$2; shift 2
	_i=0 _t0=$(bench_now_ns)
	while [ $_i -lt "$_runs" ]; do "$@" >/dev/null 2>&1 || true; _i=$((_i + 1)); done
	echo "$_t0 $(bench_now_ns) $_runs" | awk '{ printf "%.3f\n", ($2 - $1) / 1e6 / $3 }' >>"$tmp/$_name"
}
bench_stats() { sort -n "$tmp/$1" | awk '{ v[NR] = $1 } END {
	m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
	printf "%7.2f ms   %6.2f..%-6.2f", m, v[1], v[NR] }'; }
bench_verdict() { awk -v v="$1" -v l="$2" 'BEGIN { print (v + 0 < l + 0) ? "PASS" : "MISS" }'; }
bench_load() { cut -d' ' -f1 /proc/loadavg; }
