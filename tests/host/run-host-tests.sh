#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# End to end: mmuscope host over the scenario library (teaching, mmu, history)
# and the known-divergence evidence (tests/host/known) on one runner. Exit 0
# when nothing diverges without an explanation and every entry of the runner's
# known-divergence table was exercised, 77 when the runner is unavailable (no
# QEMU), 1 otherwise.
#   run-host-tests.sh MMUSCOPE [RUNNER]
set -u
mm=$1
runner=${2:-qemu-tcg}
cd "$(dirname "$0")/../.." || exit 2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$mm" host --runner "$runner" scenarios/teaching/*.json scenarios/mmu/*.json \
	scenarios/history/*.json tests/host/known/*.json >"$out"
rc=$?
case $rc in
0) ;;
77) echo "run-host-tests: $runner unavailable: skipped"; exit 77 ;;
*) grep UNEXPLAINED "$out"; tail -1 "$out"; echo "run-host-tests: $runner: mmuscope host exited $rc"; exit 1 ;;
esac
tail -1 "$out"
# Every known divergence of the runner must be seen explaining something here:
# an entry nothing exercises is an entry without evidence.
if [ "$runner" = qemu-tcg ]; then
	for id in tcg-rsvd-p tcg-pae-pdpte-memory tcg-1g-without-pdpe1gb tcg-amd-pml4e-bit8 \
		tcg-npf-rsvd-p tcg-amd-npt-bit8 tcg-npf-fetch-smep tcg-smm-save-partial; do
		if ! grep -q "explained ($id:" "$out"; then
			echo "run-host-tests: known divergence $id was not exercised"
			exit 1
		fi
	done
fi
echo "run-host-tests: $runner: no unexplained divergence"
