#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Drive the real `mmuscope gui` window under Xvfb with xdotool and check, through
# MMUSCOPE_GUI_TRACE (one line per handled input: the resulting state and the
# draw list's hash), that each input does what it should.
#   run-gui-test.sh MMUSCOPE SOURCE_DIR        (exit 77 without xvfb-run or xdotool)
set -u
mm=$(readlink -f "$1"); src=$2
for tool in xvfb-run xdotool xauth; do
	command -v $tool >/dev/null || { echo "run-gui-test: $tool not installed: skipped"; exit 77; }
done
if [ "${MSC_GUI_INNER:-}" != 1 ]; then
	export MSC_GUI_INNER=1
	exec xvfb-run -a -s "-screen 0 1600x1000x24" "$0" "$@"
fi

# An ASan build: SDL's video start-up leaves allocations in D-Bus and in modules it
# dlclose()s, which LeakSanitizer cannot name or suppress; leaks of mmuscope's own
# code (session, layout, renderer) are checked by test_viz_* and viz_render_cli.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
scn=$src/scenarios/mmu/03-shadow-faults.json
tmp=$(mktemp -d); trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
trace=$tmp/trace
pass=0; fail=0
check() { if eval "$2"; then pass=$((pass+1)); echo "ok: $1"; else echo "FAIL: $1"; fail=$((fail+1)); fi; }
# wait for the trace to have N lines; print the last
wait_lines() {
	for _ in $(seq 1 100); do
		[ "$(wc -l <"$trace" 2>/dev/null || echo 0)" -ge "$1" ] && break
		sleep 0.1
	done
	tail -n 1 "$trace"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
n=0
send() { # xdotool args...; prints the trace line that the input produced
	xdotool "$@"
	n=$((n + 1))
	last=$(wait_lines $n)
}

# the first access that faults, from the trace of a plain run (0-based step)
first_fault=$("$mm" run --trace "$scn" | grep -m1 'mmuscope_access: .*-> #' | sed 's/^\[s\([0-9]*\).*/\1/')

MMUSCOPE_GUI_TRACE=$trace "$mm" gui "$scn" --size 1600x1000 2>"$tmp/err" &
pid=$!
for _ in $(seq 1 100); do grep -q '^ready' "$trace" 2>/dev/null && break; sleep 0.1; done
check "the window opens (trace says ready)" 'grep -q "^ready step=0 " "$trace"'
n=$(wc -l <"$trace")
wid=$(xdotool search --sync --name "^mmuscope - " | head -1)
check "xdotool finds the window by name" '[ -n "$wid" ]'
xdotool windowfocus --sync "$wid" 2>/dev/null || true
grid=$(grep '^geometry hash' "$trace" | head -1)
gx=$(awk '{print $3}' <<<"$grid"); gy=$(awk '{print $4}' <<<"$grid"); cell=$(awk '{print $5}' <<<"$grid")

send key Right;  check "Right steps forward (0 -> 1)" '[[ "$last" == right\ step=1\ * ]]'
send key space;  check "Space steps forward (1 -> 2)" '[[ "$last" == space\ step=2\ * ]]'
send key Left;   check "Left steps back (2 -> 1)" '[[ "$last" == left\ step=1\ * ]]'
h1=$(field dl "$last")
send key Right; send key Left
check "back to step 1: the same draw list as before" '[ "$(field dl "$last")" = "$h1" ]'
send key g; send key 1; send key 2; send key Return
check "G 1 2 Enter jumps to step 12" '[[ "$last" == enter\ step=12\ * ]]'
send key Home;   check "Home goes to step 0" '[[ "$last" == home\ step=0\ * ]]'
send key n
check "N runs to the next fault (step $((first_fault + 1)))" '[[ "$last" == n\ step=$((first_fault + 1))\ * ]] && [[ "$last" == *next=fault* ]]'
send key k;      check "K cycles the event kind (fault -> vmexit)" '[[ "$last" == *next=vmexit* ]]'
send key End
end_step=$(field step "$last")
check "End goes to the last step" '[ "$end_step" -ge 10 ]'
send key plus;   check "+ zooms in" '[ "$(field zoom "$last")" = 110 ]'
send key minus;  check "- zooms out" '[ "$(field zoom "$last")" = 100 ]'

# a bucket that holds a page at the end: from the same view rendered headless
"$mm" render "$scn" --step "$end_step" --size 1600x1000 --drawlist - >"$tmp/dl"
cell_xy=$(awk -v gx="$gx" -v gy="$gy" -v c="$cell" '$1=="fill" && $2>=gx && $3>=gy && $2<gx+64*c && $3<gy+64*c && $4<c+1 {print $2, $3; exit}' "$tmp/dl")
bx=$(( ${cell_xy% *} )); by=$(( ${cell_xy#* } ))
bucket=$(( (by - gy) / cell * 64 + (bx - gx) / cell ))
before=$(field dl "$last")
send mousemove --window "$wid" $((bx + cell / 2)) $((by + cell / 2)) click 1
check "clicking bucket $bucket selects it" '[ "$(field sel "$last")" = "$bucket" ] && [ "$(field hover "$last")" = "$bucket" ]'
check "the selection changes the draw list" '[ "$(field dl "$last")" != "$before" ]'
send click 1;    check "a second click deselects it" '[ "$(field sel "$last")" = -1 ]'
send key Home
send key r
check "R starts running from step 0" 'grep -q "^r step=0 .*running=1" "$trace"'
for _ in $(seq 1 100); do grep -q "^run-end step=$end_step " "$trace" && break; sleep 0.1; done
check "the run stops by itself at the end (step $end_step)" 'grep -q "^run-end step=$end_step .*running=0" "$trace"'
n=$(wc -l <"$trace")
xdotool windowsize "$wid" 1200 800
for _ in $(seq 1 50); do grep -q '^resize .*size=1200x800' "$trace" && break; sleep 0.1; done
check "resizing re-lays the frame out at the new size" 'grep -q "^resize .*size=1200x800" "$trace"'
xdotool key q
for _ in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
wait $pid; rc=$?
check "Q quits with exit 0" '[ $rc = 0 ]'
echo "gui test: $pass passed, $fail failed"
[ $fail = 0 ]
