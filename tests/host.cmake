# SPDX-License-Identifier: MIT
# mmuscope host (docs/host.md), included by the top-level CMakeLists.txt:
# the --dry-run golden (deterministic, needs no runner) and the end-to-end run of
# every teaching and mmu scenario under qemu-tcg (skipped, 77, without QEMU).
add_test(NAME host_dry_run_golden
         COMMAND ${CMAKE_SOURCE_DIR}/tests/golden/check-golden.sh
                 ${CMAKE_SOURCE_DIR}/tests/golden/host/04-paging-4level.dry-run.txt
                 $<TARGET_FILE:mmuscope> host --dry-run scenarios/teaching/04-paging-4level.json
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(host_dry_run_golden PROPERTIES LABELS golden)
add_test(NAME host_qemu_tcg
         COMMAND ${CMAKE_SOURCE_DIR}/tests/host/run-host-tests.sh $<TARGET_FILE:mmuscope> qemu-tcg)
set_tests_properties(host_qemu_tcg PROPERTIES LABELS host SKIP_RETURN_CODE 77 TIMEOUT 900)
# The differential campaign: 2,000 random scenarios (about 44,000 probes) with no
# unexplained divergence, and shards that add up to the whole campaign.
add_test(NAME host_diff_qemu_tcg
         COMMAND ${CMAKE_SOURCE_DIR}/tests/host/run-diff-tests.sh $<TARGET_FILE:mmuscope> qemu-tcg 2000)
set_tests_properties(host_diff_qemu_tcg PROPERTIES LABELS host SKIP_RETURN_CODE 77 TIMEOUT 900)
