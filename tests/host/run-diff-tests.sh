#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The differential campaign (mmuscope diff) on one runner: thousands of random
# scenarios must show no unexplained divergence, and shards must split a
# campaign exactly (their totals add up to the whole campaign's).
#   run-diff-tests.sh MMUSCOPE [RUNNER] [N]
set -u
mm=$1
runner=${2:-qemu-tcg}
n=${3:-2000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$mm" diff --random "$n" --seed 1 --runner "$runner" --out "$tmp/out" >"$tmp/all" 2>"$tmp/err"
rc=$?
cat "$tmp/all"
case $rc in
0) ;;
77) cat "$tmp/err"; echo "run-diff-tests: $runner unavailable: skipped"; exit 77 ;;
*) cat "$tmp/err"; ls "$tmp/out" 2>/dev/null; echo "run-diff-tests: mmuscope diff exited $rc"; exit 1 ;;
esac
grep -q " 0 unexplained" "$tmp/all" || { echo "run-diff-tests: unexplained divergences"; exit 1; }
# Shards: 3 shards of a 300-scenario campaign == the campaign.
sum() { sed -n 's/.*: \([0-9]*\) scenarios .*, \([0-9]*\) probes, \([0-9]*\) records: \([0-9]*\) match, \([0-9]*\) explained.*/\1 \2 \3 \4 \5/p' "$@"; }
"$mm" diff --random 300 --seed 2 --runner "$runner" --out "$tmp/out" >"$tmp/whole" || exit 1
for k in 1 2 3; do
	"$mm" diff --random 300 --seed 2 --shard "$k/3" --runner "$runner" --out "$tmp/out" >"$tmp/s$k" || exit 1
done
whole=$(sum "$tmp/whole" | head -1)
parts=$(for k in 1 2 3; do sum "$tmp/s$k" | head -1; done |
	awk '{for (i = 1; i <= 5; i++) t[i] += $i} END {print t[1], t[2], t[3], t[4], t[5]}')
if [ "$whole" != "$parts" ]; then
	echo "run-diff-tests: shards ($parts) differ from the whole campaign ($whole)"
	exit 1
fi
echo "run-diff-tests: shards 1/3..3/3 add up to the campaign: $whole"
