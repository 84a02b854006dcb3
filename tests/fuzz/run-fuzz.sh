#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fuzz the scenario loader: build tests/fuzz/fuzz_loader.c with clang and libFuzzer
# (ASan + UBSan) into BUILD_DIR and run it for SECONDS over tests/fuzz/corpus and
# every scenarios/**/*.json, copied into a temporary corpus (the repository is never
# written). Exit 0 when the time ran out without a finding, 77 when clang or
# libFuzzer is missing (a skip), another non-zero code on a crash or a build error.
#   usage: tests/fuzz/run-fuzz.sh [SECONDS] [BUILD_DIR]
set -u
secs=${1:-30}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${2:-${TMPDIR:-/tmp}/mmuscope-fuzz}

cc=$(command -v clang || command -v clang-16 || command -v clang-15 || command -v clang-14 || true)
if [ -z "$cc" ]; then
	echo "run-fuzz: clang not found, skipping"
	exit 77
fi
mkdir -p "$build" || exit 2
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\n%s\n' \
	'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
	>"$build/probe.c"
if ! "$cc" -fsanitize=fuzzer "$build/probe.c" -o "$build/probe" 2>/dev/null; then
	echo "run-fuzz: $cc has no libFuzzer (-fsanitize=fuzzer), skipping"
	exit 77
fi

# The loader, the writer and what they use from sim/, cpu/ and mmu/ (the variant registry).
srcs=("$root"/tests/fuzz/fuzz_loader.c "$root"/sim/loader*.c "$root"/sim/writer.c
	"$root"/sim/scenario.c "$root"/cpu/features.c "$root"/cpu/err.c "$root"/cpu/regnames.c "$root"/cpu/sbuf.c "$root"/mmu/variants.c)
if ! "$cc" -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -I"$root" "${srcs[@]}" -lcjson -lcapstone \
	-o "$build/fuzz_loader"; then
	echo "run-fuzz: build failed"
	exit 2
fi

# Keys and words of the format help the fuzzer past the strict key checks.
{
	for w in version name description machine vcpus steps vendor maxphyaddr features \
		memslots pt_pool tdp tdp_mmu host_pages max_mmu_pages tlb variants as id gpa size flags \
		alias offset cr0 cr3 cr4 efer rflags cpl pkru op vcpu note insn expect format \
		root va pa mode level value host kind implicit type pcid vmx svm l2 eptp vpid \
		ncr3 asid npt fault error_code cr2 exitinfo1 exitinfo2 qual page_size tlb_hit \
		outcomes regs tlb_entries mem entry trace ret remaining root_cache stats role \
		shadow_pages spte divergence cpu_role root_role set map unmap set_entry mem_write \
		mem_read access invlpg invpcid flush_tlb smi rsm vmentry vmexit pre_fault \
		memslot_add memslot_delete memslot_flags zap_all intel amd 4level 5level pae ept4 \
		ept5 setup guest read write fetch none pf gp ud ept_violation ept_misconfig npf \
		readonly dirty_log 4k 2m 4m 1g; do
		printf '"\\"%s\\""\n' "$w"
	done
	printf '"0x1000"\n"PE|PG"\n"P|W|U"\n"MT=WB"\n"PKEY=1"\n"EINVAL"\n'
} >"$build/scenario.dict"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mmuscope-fuzz-corpus.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/corpus"
cp "$root"/tests/fuzz/corpus/* "$tmp/corpus/"
n=0
while IFS= read -r -d '' f; do
	n=$((n + 1))
	cp "$f" "$tmp/corpus/scenario-$n-$(basename "$f")"
done < <(find "$root/scenarios" -name '*.json' -type f -print0 2>/dev/null)

# libFuzzer's own exit code for a finding is 77 by default: make it 1, since 77
# means "skipped" to ctest.
cd "$tmp" || exit 2
"$build/fuzz_loader" -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
	-error_exitcode=1 -timeout_exitcode=1 -artifact_prefix="$build/" \
	-dict="$build/scenario.dict" -print_final_stats=1 "$tmp/corpus"
rc=$?
if [ $rc != 0 ]; then
	echo "run-fuzz: finding (exit $rc); the input is in $build/ (crash-*, timeout-*, oom-*)"
fi
exit $rc
