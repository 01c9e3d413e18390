# A second aspen on the same topology fails at once naming the holder, or
# waits with --lock-timeout.
. "$ASPEN_TESTS/e2e/lib.sh"
N=cluster3n
F=$TOPO/cluster3-netns.yaml
mkdir -p "$ASPEN_STATE_DIR/$N"
lockf="$ASPEN_STATE_DIR/$N/lock"
# Hold the lock as another aspen would: flock + holder line.
( exec 9>"$lockf"; flock 9; echo "pid $$ cmd aspen apply test since now" >&9; sleep 3 ) &
holder=$!
sleep 0.5
aspen_fails apply --no-schedule "$F"
out_has "locked by"
aspen_fails destroy $N
out_has "locked by"
step "--lock-timeout waits for the holder"
aspen_ok apply --no-schedule --lock-timeout 10s "$F"
wait $holder
aspen_ok destroy $N
assert_clean $N
echo ok
