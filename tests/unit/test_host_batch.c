/* SPDX-License-Identifier: MIT */
/*
 * The probe batch (host/batch.h, host/batch.c): serialization, the record
 * bound, op and status names, and host/probe/batch.inc against the C header.
 */
#include "host/batch.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/err.h"

static struct hb_cmd mk(u8 op, u8 size, u64 a, u64 b)
{
	struct hb_cmd c;

	memset(&c, 0, sizeof(c));
	c.op = op;
	c.size = size;
	c.a = a;
	c.b = b;
	return c;
}

static void test_serialize_writes_header_then_commands(void **state)
{
	struct hb_batch b;
	struct hb_cmd c = mk(HB_OP_READ, 8, 0x1000, 0);
	u8 buf[256];
	struct hb_header h;
	struct hb_cmd got;

	(void)state;
	hb_init(&b);
	c.id = 42;
	assert_int_equal(hb_push(&b, &c), 0);
	c = mk(HB_OP_WRITE, 4, 0x2000, 0x1234);
	assert_int_equal(hb_push(&b, &c), 0);
	assert_int_equal(hb_serialize(&b, buf, 64 + 64), 0); /* too small */
	assert_int_equal(hb_serialize(&b, buf, sizeof(buf)), 64 + 2 * 64);
	memcpy(&h, buf, sizeof(h));
	assert_int_equal(h.magic, HB_MAGIC);
	assert_int_equal(h.version, HB_VERSION);
	assert_int_equal(h.ncmds, 2);
	assert_int_equal(h.flags, 0);
	assert_int_equal(h.result_pa, HB_RESULT_PA);
	assert_int_equal(h.result_cap, 1); /* the READ */
	memcpy(&got, buf + 64, sizeof(got));
	assert_int_equal(got.op, HB_OP_READ);
	assert_int_equal(got.id, 42);
	assert_int_equal(got.a, 0x1000);
	memcpy(&got, buf + 128, sizeof(got));
	assert_int_equal(got.op, HB_OP_WRITE);
	assert_int_equal(got.b, 0x1234);
	hb_free(&b);
	assert_null(b.cmds);
}

static void test_push_refuses_past_batch_max(void **state)
{
	struct hb_batch b;
	struct hb_cmd c = mk(HB_OP_NOP, 0, 0, 0);
	u32 max = (u32)((HB_BATCH_MAX - sizeof(struct hb_header)) / sizeof(struct hb_cmd));

	(void)state;
	hb_init(&b);
	for (u32 i = 0; i < max; i++)
		assert_int_equal(hb_push(&b, &c), 0);
	assert_int_equal(hb_push(&b, &c), MSC_ENOSPC);
	assert_int_equal(b.ncmds, max);
	hb_free(&b);
}

static void test_records_max_counts_observing_and_malformed_commands(void **state)
{
	struct hb_batch b;
	const struct hb_cmd cmds[] = {
		mk(HB_OP_NOP, 0, 0, 0), /* no */
		mk(HB_OP_CASE, 0, 0, 0), /* no */
		mk(HB_OP_ZERO, 0, 0x100000, 0x2000), /* no */
		mk(HB_OP_ZERO, 0, 0x100010, 0x1000), /* bad: unaligned */
		mk(HB_OP_WRITE, 8, 0x100000, 1), /* no */
		mk(HB_OP_WRITE, 3, 0x100000, 1), /* bad size */
		mk(HB_OP_WRITE, 4, 0xA0000, 1), /* bad: the hole */
		mk(HB_OP_WRITE, 8, HB_SCN_LIMIT - 4, 1), /* bad: past the limit */
		mk(HB_OP_READ, 8, 0x1000, 0), /* yes */
		mk(HB_OP_MODE, 0, 1, 0), /* yes */
		mk(HB_OP_ACCESS, 4, 0x1000, 0), /* yes */
		mk(HB_OP_INVLPG, 0, 0x1000, 0), /* maybe (nomode, fault) */
		mk(HB_OP_FLUSH, 0, 0, 0), /* no */
		mk(HB_OP_CR3, 0, 0, 0), /* yes */
		mk(HB_OP_SMI, 0, 0x30000, 0), /* yes */
		mk(HB_OP_RSM, 0, 0, 0), /* yes (OK, or the #UD outside SMM) */
		mk(HB_OP_VMRUN_MODE, 0, 0, 0), /* yes (OK, CONFLICT, BAD) */
		mk(HB_OP_VMEXIT, 0, 0, 0), /* no */
		mk(HB_NR_OPS, 0, 0, 0), /* bad op */
	};

	(void)state;
	hb_init(&b);
	assert_int_equal(hb_records_max(&b), 0);
	for (size_t i = 0; i < MSC_ARRAY_SIZE(cmds); i++)
		assert_int_equal(hb_push(&b, &cmds[i]), 0);
	assert_int_equal(hb_records_max(&b), 13);
	hb_free(&b);
}

static void test_op_and_status_names(void **state)
{
	(void)state;
	assert_string_equal(hb_op_name(HB_OP_NOP), "nop");
	assert_string_equal(hb_op_name(HB_OP_ACCESS), "access");
	assert_string_equal(hb_op_name(HB_OP_CR3), "cr3");
	assert_string_equal(hb_op_name(HB_OP_SMI), "smi");
	assert_string_equal(hb_op_name(HB_OP_RSM), "rsm");
	assert_string_equal(hb_op_name(HB_OP_VMRUN_MODE), "vmrun-mode");
	assert_string_equal(hb_op_name(HB_OP_VMEXIT), "vmexit");
	assert_string_equal(hb_op_name(HB_NR_OPS), "?");
	for (u8 op = 0; op < HB_NR_OPS; op++)
		assert_string_not_equal(hb_op_name(op), "?");
	assert_string_equal(hb_status_name(HB_ST_OK), "ok");
	assert_string_equal(hb_status_name(HB_ST_REFUSED), "refused");
	assert_string_equal(hb_status_name(HB_ST_CONFLICT), "conflict");
	assert_string_equal(hb_status_name(HB_ST_NOMODE), "nomode");
	assert_string_equal(hb_status_name(HB_ST_BAD), "bad");
	assert_string_equal(hb_status_name(0), "?");
}

/* Every constant of host/probe/batch.inc, as the C header has it. */
#define OFF(t, f) ((unsigned long long)offsetof(struct t, f))
static const struct {
	const char *name;
	unsigned long long val;
} inc_want[] = {
	{"HB_MAGIC", HB_MAGIC},
	{"HB_VERSION", HB_VERSION},
	{"HB_RAM_BYTES", HB_RAM_BYTES},
	{"HB_SCN_LIMIT", HB_SCN_LIMIT},
	{"HB_HOLE_LO", HB_HOLE_LO},
	{"HB_HOLE_HI", HB_HOLE_HI},
	{"HB_HARNESS_PA", HB_HARNESS_PA},
	{"HB_HARNESS_BYTES", HB_HARNESS_BYTES},
	{"HB_BATCH_PA", HB_BATCH_PA},
	{"HB_BATCH_MAX", HB_BATCH_MAX},
	{"HB_RESULT_PA", HB_RESULT_PA},
	{"HB_RESULT_MAX", HB_RESULT_MAX},
	{"HB_ROM_PA", HB_ROM_PA},
	{"HB_ROM_BYTES", HB_ROM_BYTES},
	{"HB_WINDOW_VA", HB_WINDOW_VA},
	{"HB_EXIT_PORT", HB_EXIT_PORT},
	{"HB_DONE_VALUE", HB_DONE_VALUE},
	{"HB_FAIL_VALUE", HB_FAIL_VALUE},
	{"HB_OP_NOP", HB_OP_NOP},
	{"HB_OP_CASE", HB_OP_CASE},
	{"HB_OP_ZERO", HB_OP_ZERO},
	{"HB_OP_WRITE", HB_OP_WRITE},
	{"HB_OP_READ", HB_OP_READ},
	{"HB_OP_MODE", HB_OP_MODE},
	{"HB_OP_ACCESS", HB_OP_ACCESS},
	{"HB_OP_INVLPG", HB_OP_INVLPG},
	{"HB_OP_FLUSH", HB_OP_FLUSH},
	{"HB_OP_CR3", HB_OP_CR3},
	{"HB_OP_SMI", HB_OP_SMI},
	{"HB_OP_RSM", HB_OP_RSM},
	{"HB_OP_VMRUN_MODE", HB_OP_VMRUN_MODE},
	{"HB_OP_VMEXIT", HB_OP_VMEXIT},
	{"HB_NR_OPS", HB_NR_OPS},
	{"HB_L2_GPA_BASE", HB_L2_GPA_BASE},
	{"HB_L2_NPT_SLOT", HB_L2_NPT_SLOT},
	{"HB_RF_NPF", HB_RF_NPF},
	{"HB_RF_EXIT", HB_RF_EXIT},
	{"HB_SVM_EXIT_NPF", HB_SVM_EXIT_NPF},
	{"HB_SVM_EXIT_VMMCALL", HB_SVM_EXIT_VMMCALL},
	{"HB_SMM_HANDLER_OFF", HB_SMM_HANDLER_OFF},
	{"HB_SMM_SAVE_OFF", HB_SMM_SAVE_OFF},
	{"HB_SMM_STUB_BYTES", HB_SMM_STUB_BYTES},
	{"HB_APIC_ICR_PA", HB_APIC_ICR_PA},
	{"HB_APIC_ICR_SMI", HB_APIC_ICR_SMI},
	{"HB_KIND_READ", HB_KIND_READ},
	{"HB_KIND_WRITE", HB_KIND_WRITE},
	{"HB_KIND_FETCH", HB_KIND_FETCH},
	{"HB_F_AC", HB_F_AC},
	{"HB_F_CS64", HB_F_CS64},
	{"HB_ST_OK", HB_ST_OK},
	{"HB_ST_REFUSED", HB_ST_REFUSED},
	{"HB_ST_CONFLICT", HB_ST_CONFLICT},
	{"HB_ST_NOMODE", HB_ST_NOMODE},
	{"HB_ST_BAD", HB_ST_BAD},
	{"HB_NO_VECTOR", HB_NO_VECTOR},
	{"HDR_MAGIC", OFF(hb_header, magic)},
	{"HDR_VERSION", OFF(hb_header, version)},
	{"HDR_NCMDS", OFF(hb_header, ncmds)},
	{"HDR_FLAGS", OFF(hb_header, flags)},
	{"HDR_RESULT_PA", OFF(hb_header, result_pa)},
	{"HDR_RESULT_CAP", OFF(hb_header, result_cap)},
	{"HDR_SIZE", sizeof(struct hb_header)},
	{"CMD_OP", OFF(hb_cmd, op)},
	{"CMD_KIND", OFF(hb_cmd, kind)},
	{"CMD_SIZE", OFF(hb_cmd, size)},
	{"CMD_CPL", OFF(hb_cmd, cpl)},
	{"CMD_FLAGS", OFF(hb_cmd, flags)},
	{"CMD_ID", OFF(hb_cmd, id)},
	{"CMD_ASID", OFF(hb_cmd, asid)},
	{"CMD_A", OFF(hb_cmd, a)},
	{"CMD_B", OFF(hb_cmd, b)},
	{"CMD_C", OFF(hb_cmd, c)},
	{"CMD_D", OFF(hb_cmd, d)},
	{"CMD_E", OFF(hb_cmd, e)},
	{"CMD_F", OFF(hb_cmd, f)},
	{"CMD_SIZEOF", sizeof(struct hb_cmd)},
	{"REC_CMD", OFF(hb_record, cmd)},
	{"REC_ID", OFF(hb_record, id)},
	{"REC_OP", OFF(hb_record, op)},
	{"REC_STATUS", OFF(hb_record, status)},
	{"REC_VECTOR", OFF(hb_record, vector)},
	{"REC_RFLAGS", OFF(hb_record, rflags)},
	{"REC_ERROR_CODE", OFF(hb_record, error_code)},
	{"REC_CR2", OFF(hb_record, cr2)},
	{"REC_VALUE", OFF(hb_record, value)},
	{"REC_SIZEOF", sizeof(struct hb_record)},
};

static void test_batch_inc_matches_the_c_header(void **state)
{
	FILE *f = fopen(MSC_SOURCE_DIR "/host/probe/batch.inc", "r");
	bool seen[MSC_ARRAY_SIZE(inc_want)] = {0};
	char line[256], name[64], num[64];
	unsigned long long val;
	int lines = 0;

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		size_t i;

		if (line[0] == ';' || sscanf(line, "%63s equ %63s", name, num) != 2)
			continue;
		val = strtoull(num, NULL, 0);
		lines++;
		for (i = 0; i < MSC_ARRAY_SIZE(inc_want); i++)
			if (!strcmp(inc_want[i].name, name))
				break;
		if (i == MSC_ARRAY_SIZE(inc_want)) {
			print_error("batch.inc: %s is not checked against host/batch.h\n", name);
			fail();
		}
		if (inc_want[i].val != val) {
			print_error("batch.inc: %s = 0x%llx, host/batch.h says 0x%llx\n", name, val,
				    inc_want[i].val);
			fail();
		}
		seen[i] = true;
	}
	fclose(f);
	for (size_t i = 0; i < MSC_ARRAY_SIZE(inc_want); i++) {
		if (!seen[i]) {
			print_error("batch.inc lacks %s\n", inc_want[i].name);
			fail();
		}
	}
	assert_int_equal(lines, (int)MSC_ARRAY_SIZE(inc_want));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serialize_writes_header_then_commands),
		cmocka_unit_test(test_push_refuses_past_batch_max),
		cmocka_unit_test(test_records_max_counts_observing_and_malformed_commands),
		cmocka_unit_test(test_op_and_status_names),
		cmocka_unit_test(test_batch_inc_matches_the_c_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
