#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Sum ctest JUnit files into one line: "N passed, N failed, N skipped".
# A missing file counts as one failure (its run never produced results).
set -u
pass=0 fail=0 skip=0
for f in "$@"; do
	if [ ! -s "$f" ]; then fail=$((fail + 1)); continue; fi
	p=$(grep -o '<testcase [^>]*status="run"' "$f" | wc -l)
	x=$(grep -o '<testcase [^>]*status="fail"' "$f" | wc -l)
	s=$(grep -oE '<testcase [^>]*status="(notrun|disabled)"' "$f" | wc -l)
	pass=$((pass + p)) fail=$((fail + x)) skip=$((skip + s))
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
