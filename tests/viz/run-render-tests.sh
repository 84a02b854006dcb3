#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# mmuscope render: a PNG for good input; bad input is a positioned error, exit 2,
# and no file is written.  run-render-tests.sh MMUSCOPE SOURCE_DIR
set -u
mm=$1; src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
check() { if eval "$2"; then pass=$((pass+1)); else echo "FAIL: $1"; fail=$((fail+1)); fi; }
run() { "$mm" render "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }

run "$src/scenarios/mmu/06-unsync-sync.json" --step 16 -o "$tmp/a.png"
check "good input: exit 0 and a PNG" '[ $rc = 0 ] && [ "$(head -c 8 "$tmp/a.png" | od -An -tx1 | tr -d " \n")" = 89504e470d0a1a0a ]'
check "no temporary file left" '[ "$(ls "$tmp" | grep -c "a.png.")" = 0 ]'

printf '{\n  "version": 1,\n  "name": "x",\n  "steps": [ { "op": "bogus" } ]\n}\n' >"$tmp/bad.json"
run "$tmp/bad.json" --step 0 -o "$tmp/b.png"
check "invalid scenario: exit 2" '[ $rc = 2 ]'
check "invalid scenario: positioned error file:line:col" 'grep -qE "bad.json:[0-9]+:[0-9]+: " "$tmp/err"'
check "invalid scenario: no file written" '[ ! -e "$tmp/b.png" ] && [ -z "$(ls "$tmp" | grep b.png)" ]'

run "$src/scenarios/mmu/06-unsync-sync.json" --step 999 -o "$tmp/c.png"
check "step beyond the end: exit 2, message, no file" '[ $rc = 2 ] && grep -q "runs 18 steps" "$tmp/err" && [ ! -e "$tmp/c.png" ]'
run "$src/scenarios/mmu/06-unsync-sync.json" --step x -o "$tmp/d.png"
check "bad --step: exit 2" '[ $rc = 2 ] && grep -q -- "--step" "$tmp/err" && [ ! -e "$tmp/d.png" ]'
run "$src/scenarios/mmu/06-unsync-sync.json" --step 1 --size 10x10 -o "$tmp/e.png"
check "bad --size: exit 2" '[ $rc = 2 ] && [ ! -e "$tmp/e.png" ]'
run "$src/scenarios/mmu/06-unsync-sync.json" --step 1 --hide nosuch -o "$tmp/f.png"
check "bad --hide: exit 2" '[ $rc = 2 ] && [ ! -e "$tmp/f.png" ]'
run "$tmp/missing.json" --step 1 -o "$tmp/g.png"
check "missing file: exit 2" '[ $rc = 2 ] && [ -s "$tmp/err" ] && [ ! -e "$tmp/g.png" ]'
run "$src/scenarios/mmu/06-unsync-sync.json" --step 1 -o "$tmp/nodir/h.png"
check "unwritable output: exit 1, no file" '[ $rc = 1 ] && [ ! -e "$tmp/nodir/h.png" ]'
MMUSCOPE_FONT=/nonexistent.ttf "$mm" render "$src/scenarios/mmu/06-unsync-sync.json" --step 1 -o "$tmp/i.png" 2>"$tmp/err"; rc=$?
check "missing font: exit 2, names the font, no file" '[ $rc = 2 ] && grep -q "nonexistent.ttf not found" "$tmp/err" && [ ! -e "$tmp/i.png" ]'
run "$src/scenarios/mmu/06-unsync-sync.json" --step 16 --drawlist - 
check "--drawlist - prints the draw list" '[ $rc = 0 ] && grep -q "^text .*shadow-page hash" "$tmp/out"'
# mmuscope gui without a display: a clear error, exit 2 (no window, no hang)
env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER timeout 20 "$mm" gui "$src/scenarios/mmu/06-unsync-sync.json" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "gui without a display: exit 2 and says so" '[ $rc = 2 ] && grep -q "no display" "$tmp/err"'
run "$src/scenarios/mmu/06-unsync-sync.json" --step 1 extra.json -o "$tmp/j.png"
check "two files: exit 2" '[ $rc = 2 ] && [ ! -e "$tmp/j.png" ]'
echo "render tests: $pass passed, $fail failed"
[ $fail = 0 ]
