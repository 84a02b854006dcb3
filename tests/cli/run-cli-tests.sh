#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Tests of the mmuscope command line: exit codes, failure and error messages, the
# malformed-file corpus, fmt round trips, explain/list/--until goldens, --json lines
# and the examples in docs/cli.md. Runs from the source root so paths are relative.
#   run-cli-tests.sh MMUSCOPE_BINARY [SECTION...]   (sections: see the end of this file)
# MSC_REGEN_GOLDEN=1 rewrites the committed expected files instead of comparing.
# shellcheck disable=SC2016,SC2034 # check() evaluates single-quoted conditions
set -u
[ $# -ge 1 ] || { echo "usage: $0 MMUSCOPE_BINARY [SECTION...]"; exit 2; }
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
regen=${MSC_REGEN_GOLDEN:-0}
golden=tests/golden/check-golden.sh
exp=tests/cli/expected
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npass=0
nfail=0

ok() {
	echo "ok   $*"
	npass=$((npass + 1))
}
fail() {
	echo "FAIL $*"
	nfail=$((nfail + 1))
}
# check DESCRIPTION 'SHELL CONDITION': evaluated where check is called
check() {
	if eval "$2"; then ok "$1"; else fail "$1"; fi
}
# same FILE EXPECTED: compare, or rewrite EXPECTED under MSC_REGEN_GOLDEN=1
same() {
	if [ "$regen" = 1 ]; then
		mkdir -p "$(dirname "$2")"
		cp "$1" "$2"
		return 0
	fi
	diff -u "$2" "$1"
}
# mm ARGS...: run mmuscope, stdout to $tmp/out, stderr to $tmp/err, status to $rc
mm() {
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

section_run() {
	mm run tests/cli/good/*.json
	check "run: passing files exit 0" '[ "$rc" = 0 ]'
	check "run: one PASS line per file" \
		'[ "$(grep -c "^PASS tests/cli/good/.*\.json ([0-9]* steps\{0,1\})$" "$tmp/out")" = "$(ls tests/cli/good/*.json | wc -l)" ]'
	check "run: nothing on stderr when every expectation holds" '[ ! -s "$tmp/err" ]'

	mm run tests/cli/fail/wrong-expect.json
	check "run: a failed expectation exits 1" '[ "$rc" = 1 ]'
	check "run: failed expectations on stderr as file:line:col: step N (op): ..." \
		'same "$tmp/err" $exp/wrong-expect.stderr'
	check "run: the FAIL line" 'same "$tmp/out" $exp/wrong-expect.stdout'

	mm run tests/cli/bad/version-too-new.json
	check "run: an invalid file exits 2" '[ "$rc" = 2 ]'
	mm run tests/cli/good/walk-4level.json tests/cli/fail/wrong-expect.json
	check "run: pass + fail exits 1" '[ "$rc" = 1 ]'
	mm run tests/cli/fail/wrong-expect.json tests/cli/bad/empty.json tests/cli/good/walk-4level.json
	check "run: an invalid file among others exits 2" '[ "$rc" = 2 ]'
	check "run: later files still run after an invalid one" \
		'grep -q "^PASS tests/cli/good/walk-4level.json" "$tmp/out"'
	mm run tests/cli/no-such-file.json
	check "run: a missing file exits 2" '[ "$rc" = 2 ] && [ -s "$tmp/err" ]'

	mm run --quiet tests/cli/good/*.json
	check "run --quiet: no PASS lines" '[ "$rc" = 0 ] && [ ! -s "$tmp/out" ]'
	mm run --quiet tests/cli/fail/wrong-expect.json
	check "run --quiet: FAIL lines stay" 'grep -q "^FAIL " "$tmp/out"'
	mm run --stats tests/cli/good/stale-tlb.json
	check "run --stats: counters after the PASS line" 'same "$tmp/out" $exp/stats.txt'
}

section_trace() {
	local f n
	mm run --json --quiet tests/cli/good/*.json
	check "run --json --quiet: exit 0, lines printed" '[ "$rc" = 0 ] && [ -s "$tmp/out" ]'
	check "run --json --quiet: every line starts with '{' and ends with '}'" \
		'[ "$(grep -cv "^{.*}$" "$tmp/out")" = 0 ]'
	check "run --json: every line is a JSON object with event, step, vcpu" \
		'python3 -c "$json_check" "$tmp/out"'
	mm run --json tests/cli/fail/wrong-expect.json
	check "run --json: exit status as without it" '[ "$rc" = 1 ]'
	check "run --json: the FAIL line is the only other line" \
		'[ "$(grep -v "^{.*}$" "$tmp/out")" = "$(cat $exp/wrong-expect.stdout)" ]'
	for f in tests/cli/good/*.json; do
		mm run --trace --quiet "$f"
		n=$(grep -c '^\[s[0-9]* v[0-9]*\] ' "$tmp/out")
		check "run --trace $f: every line is '[sN vM] name: ...'" \
			'[ "$n" -gt 0 ] && [ "$n" = "$(wc -l <"$tmp/out")" ]'
	done

	mm run --until 5 tests/cli/good/walk-4level.json
	check "run --until 5: exit 0" '[ "$rc" = 0 ]'
	check "run --until 5: the state after 5 steps" 'same "$tmp/out" $exp/until.txt'
	mm run --until 0 tests/cli/good/stale-tlb.json
	check "run --until 0: the state at reset" 'same "$tmp/out" $exp/until-0.txt'
}

json_check='
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert isinstance(o, dict) and {"event", "step", "vcpu"} <= o.keys(), line
'

section_bad() {
	local f name n=0
	for f in tests/cli/bad/*.json; do
		name=${f%.json}
		n=$((n + 1))
		mm run "$f"
		head -n 1 "$tmp/err" >"$tmp/first"
		if [ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && same "$tmp/first" "$name.err" >/dev/null; then
			ok "bad: $f exits 2: $(cut -c1-110 "$tmp/first")"
		else
			fail "bad: $f: exit $rc, stdout $(wc -c <"$tmp/out") bytes, first stderr line:"
			diff -u "$name.err" "$tmp/first"
		fi
	done
	check "bad: the corpus has at least 25 files ($n)" '[ "$n" -ge 25 ]'
	for f in tests/cli/bad/*.err; do
		check "bad: $f has its .json" '[ -f "${f%.err}.json" ]'
	done
}

section_fmt() {
	local f unpos='s/ at [0-9]*:[0-9]*$//; /^FAIL /d'
	while IFS= read -r f; do
		mm fmt "$f"
		cp "$tmp/out" "$tmp/a.json"
		if [ "$rc" != 0 ]; then
			fail "fmt $f: exit $rc: $(head -n 1 "$tmp/err")"
			continue
		fi
		mm fmt "$tmp/a.json"
		check "fmt $f: a fixed point (fmt | fmt is identical, and it loads)" \
			'[ "$rc" = 0 ] && cmp -s "$tmp/out" "$tmp/a.json"'
		# The same events, but expectation failures point at their new lines.
		"$bin" run --trace --quiet "$f" 2>/dev/null | sed "$unpos" >"$tmp/t1"
		"$bin" run --trace --quiet "$tmp/a.json" 2>/dev/null | sed "$unpos" >"$tmp/t2"
		check "fmt $f: the canonical form runs the same trace" 'cmp -s "$tmp/t1" "$tmp/t2"'
	done < <(find scenarios tests/cli/good tests/cli/fail tests/cli/list -name '[!.]*.json' |
		grep -v broken | LC_ALL=C sort)

	cp tests/cli/good/walk-4level.json "$tmp/inplace.json"
	"$bin" fmt tests/cli/good/walk-4level.json >"$tmp/want.json"
	mm fmt "$tmp/inplace.json" -i
	check "fmt -i: rewrites the file in canonical form" \
		'[ "$rc" = 0 ] && cmp -s "$tmp/inplace.json" "$tmp/want.json"'
	check "fmt -i: leaves no temporary file" '[ "$(ls -A "$tmp" | grep -c "^\.inplace")" = 0 ]'
	mm fmt tests/cli/good/walk-4level.json -o "$tmp/o.json"
	check "fmt -o: writes OUT" '[ "$rc" = 0 ] && cmp -s "$tmp/o.json" "$tmp/want.json"'
	cp tests/cli/bad/truncated.json "$tmp/bad.json"
	mm fmt "$tmp/bad.json" -i
	check "fmt -i of an invalid file: exit 2, the file untouched" \
		'[ "$rc" = 2 ] && cmp -s "$tmp/bad.json" tests/cli/bad/truncated.json'
	mm fmt tests/cli/good/walk-4level.json -o "$tmp/no/such/dir/o.json"
	check "fmt -o into a missing folder: exit 1 with a message" '[ "$rc" = 1 ] && [ -s "$tmp/err" ]'
	mm fmt tests/cli/good/walk-4level.json -o "$tmp/x.json" -i
	check "fmt -o with -i: usage, exit 2" '[ "$rc" = 2 ]'
}

# name file step: the explain goldens (tests/golden/explain/NAME.txt)
explain_cases="
walk-4level-map     tests/cli/good/walk-4level.json 0
walk-4level-set     tests/cli/good/walk-4level.json 2
walk-4level-read    tests/cli/good/walk-4level.json 4
walk-4level-tlb-hit tests/cli/good/walk-4level.json 5
walk-4level-pf      tests/cli/good/walk-4level.json 6
walk-4level-nx      tests/cli/good/walk-4level.json 7
smap-implicit       tests/cli/good/smap-smep.json 6
stale-tlb-outcomes  tests/cli/good/stale-tlb.json 3
stale-tlb-invlpg    tests/cli/good/stale-tlb.json 4
paging32-refused    tests/cli/good/paging32.json 1
paging32-set-entry  tests/cli/good/paging32.json 4
paging32-memslot    tests/cli/good/paging32.json 7
"

section_explain() {
	local name file step
	while read -r name file step; do
		[ -n "$name" ] || continue
		check "explain $file --step $step" \
			'$golden tests/golden/explain/$name.txt "$bin" explain "$file" --step "$step" >/dev/null'
	done <<<"$explain_cases"
	mm explain tests/cli/fail/wrong-expect.json --step 2
	check "explain: a step whose expectations fail exits 1" '[ "$rc" = 1 ]'
	check "explain: failed expectations are shown" 'same "$tmp/out" $exp/explain-fail.txt'
	mm explain tests/cli/good/walk-4level.json --step 9
	check "explain: a step past the end exits 2" '[ "$rc" = 2 ] && [ -s "$tmp/err" ]'
	mm explain tests/cli/good/walk-4level.json
	check "explain: --step is required (exit 2)" '[ "$rc" = 2 ]'
	mm explain tests/cli/bad/op-unknown.json --step 0
	check "explain: an invalid file exits 2" '[ "$rc" = 2 ]'
}

section_list() {
	check "list --dir: sorted, recursive, name and description" \
		'$golden $exp/list-good.txt "$bin" list --dir tests/cli/good >/dev/null'
	MMUSCOPE_SCENARIOS=tests/cli/good "$bin" list >"$tmp/env.txt"
	check "list: \$MMUSCOPE_SCENARIOS is the default folder" 'cmp -s "$tmp/env.txt" $exp/list-good.txt'
	mm list --dir tests/cli/list
	check "list: an invalid file is flagged and exits 1" '[ "$rc" = 1 ]'
	check "list: the listing with an invalid file" 'same "$tmp/out" $exp/list-invalid.txt'
	mm list --dir "$tmp/nowhere"
	check "list: a missing folder exits 2" '[ "$rc" = 2 ] && [ -s "$tmp/err" ]'
	mm list
	check "list: the scenario library (default folder) lists and loads" \
		'[ "$rc" = 0 ] && [ "$(grep -c "  " "$tmp/out")" = "$(wc -l <"$tmp/out")" ]'
}

usage_cases="
bogus
run
run --bogus tests/cli/good/walk-4level.json
run --until
run --until -1 tests/cli/good/walk-4level.json
run --until x tests/cli/good/walk-4level.json
explain
explain tests/cli/good/walk-4level.json --step x
explain tests/cli/good/walk-4level.json tests/cli/good/stale-tlb.json --step 0
fmt
fmt tests/cli/good/walk-4level.json tests/cli/good/stale-tlb.json
fmt tests/cli/good/walk-4level.json -o
list extra
list --dir
"

section_usage() {
	local args
	while IFS= read -r args; do
		[ -n "$args" ] || continue
		# shellcheck disable=SC2086 # the words of a case are separate arguments
		mm $args
		check "usage: mmuscope $args exits 2 with a message" '[ "$rc" = 2 ] && [ -s "$tmp/err" ]'
	done <<<"$usage_cases"
	mm
	check "usage: mmuscope alone exits 2" '[ "$rc" = 2 ]'
	mm help
	check "usage: help exits 0 and names every verb" \
		'[ "$rc" = 0 ] && [ "$(grep -cE "^  (run|explain|fmt|list|role|tour|version|help)" "$tmp/out")" = 8 ]'
	mm version
	check "usage: version" '[ "$rc" = 0 ] && grep -q "^mmuscope [0-9]" "$tmp/out"'
}

# Every ```console block of docs/cli.md is run from the source root: "$ cmd" lines
# are commands (mmuscope is this binary), the lines after them its stdout+stderr.
section_docs() {
	local in=0 n=0 line script=$tmp/doc.sh
	while IFS= read -r line; do
		if [ $in = 0 ]; then
			if [ "$line" = '```console' ]; then
				in=1
				n=$((n + 1))
				printf 'mmuscope() { "%s" "$@"; }\n' "$bin" >"$script"
				: >"$tmp/doc.want"
			fi
			continue
		fi
		if [ "$line" = '```' ]; then
			in=0
			bash "$script" >"$tmp/doc.got" 2>&1
			check "docs/cli.md example $n runs as shown" 'diff -u "$tmp/doc.want" "$tmp/doc.got"'
			continue
		fi
		printf '%s\n' "$line" >>"$tmp/doc.want"
		if [ "${line#\$ }" != "$line" ]; then
			# keep $? of the previous command across the echoed prompt
			printf 'rc=$?; printf "%%s\\n" %q; (exit $rc); %s\n' "$line" "${line#\$ }" \
				>>"$script"
		fi
	done <docs/cli.md
	check "docs/cli.md has examples ($n)" '[ "$n" -ge 4 ]'
}

sections=${*:-run trace bad fmt explain list usage docs}
for s in $sections; do
	echo "== $s"
	"section_$s"
done
echo "cli tests: $npass passed, $nfail failed"
[ "$nfail" = 0 ]
