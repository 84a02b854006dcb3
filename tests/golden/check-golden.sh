#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run a command and compare its stdout with a committed golden file, byte for byte.
#   check-golden.sh GOLDEN COMMAND [ARGS...]
# With MSC_REGEN_GOLDEN=1 the golden file is rewritten instead (the only way to change it).
set -u
golden=$1; shift
out=$(mktemp); trap 'rm -f "$out"' EXIT
"$@" >"$out"
rc=$?
if [ "${MSC_REGEN_GOLDEN:-0}" = 1 ]; then
	mkdir -p "$(dirname "$golden")"
	cp "$out" "$golden"
	echo "check-golden: rewrote $golden"
	exit $rc
fi
if [ ! -f "$golden" ]; then echo "check-golden: missing $golden (MSC_REGEN_GOLDEN=1 creates it)"; exit 1; fi
if ! diff -u "$golden" "$out"; then echo "check-golden: output differs from $golden"; exit 1; fi
[ $rc = 0 ] || { echo "check-golden: command exited $rc"; exit 1; }
echo "check-golden: $golden matches"
