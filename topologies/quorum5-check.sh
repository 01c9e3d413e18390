#!/bin/sh
# The test of quorum5-netns.yaml, run by `aspen run` while the schedule runs:
# from the host, ask every node who leads every 50 ms for 25 s (the schedule
# ends at 23.5 s); fail on two leaders at once or no leader at the end.
set -eu
echo "quorum5: watching $ASPEN_NODES for 25 s"
exec aspen-quorum watch 25
