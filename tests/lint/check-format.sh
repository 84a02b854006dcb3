#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every C source and header must match .clang-format (exit 77 = skipped when
# clang-format is not installed).
set -u
root=${1:-.}
cd "$root" || exit 2
cf=$(command -v clang-format || command -v clang-format-14 || true)
if [ -z "$cf" ]; then echo "check-format: clang-format not installed, skipping"; exit 77; fi
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.c' '*.h' 2>/dev/null || find cpu mmu sim viz host bench cli tests tools -name '*.[ch]')
[ ${#files[@]} -gt 0 ] || exit 0
if ! "$cf" --dry-run -Werror "${files[@]}"; then
	echo "check-format: run 'make format' to fix"
	exit 1
fi
echo "check-format: ${#files[@]} files clean"
