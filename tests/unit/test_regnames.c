/* SPDX-License-Identifier: MIT */
/* Flag expressions of CR0/CR4/EFER/RFLAGS: parsing, printing, round trips. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cpu/err.h"
#include "cpu/regnames.h"
#include "cpu/regs.h"

static void test_names_and_hex_terms_combine(void **state)
{
	u64 v = 0;

	(void)state;
	assert_int_equal(cpu_flags_parse(CPU_FLAGS_CR0, "PE|PG|WP", &v, NULL), 0);
	assert_int_equal(v, X86_CR0_PE | X86_CR0_PG | X86_CR0_WP);
	assert_int_equal(cpu_flags_parse(CPU_FLAGS_CR4, "PAE|0x20000", &v, NULL), 0);
	assert_int_equal(v, X86_CR4_PAE | X86_CR4_PCIDE);
	assert_int_equal(cpu_flags_parse(CPU_FLAGS_EFER, "0x0", &v, NULL), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cpu_flags_parse(CPU_FLAGS_RFLAGS, "FIXED|AC", &v, NULL), 0);
	assert_int_equal(v, X86_RFLAGS_FIXED | X86_RFLAGS_AC);
}

static void test_bad_terms_are_rejected_with_their_position(void **state)
{
	const char *s = "PE|PX|WP", *bad = NULL;
	u64 v = 0x1234;

	(void)state;
	assert_int_equal(cpu_flags_parse(CPU_FLAGS_CR0, s, &v, &bad), MSC_EINVAL);
	assert_ptr_equal(bad, s + 3);
	assert_int_equal(v, 0x1234); /* untouched */
	assert_int_equal(cpu_flags_parse(CPU_FLAGS_CR0, "", &v, NULL), MSC_EINVAL);
	assert_int_equal(cpu_flags_parse(CPU_FLAGS_CR0, "PE|", &v, NULL), MSC_EINVAL);
	assert_int_equal(cpu_flags_parse(CPU_FLAGS_CR0, "0x", &v, NULL), MSC_EINVAL);
	assert_int_equal(cpu_flags_parse(CPU_FLAGS_CR0, "0x12345678123456789", &v, NULL),
			 MSC_EINVAL);
	assert_int_equal(cpu_flags_parse(CPU_FLAGS_CR0, "pe", &v, NULL), MSC_EINVAL);
	/* a name of another register is not a name of this one */
	assert_int_equal(cpu_flags_parse(CPU_FLAGS_CR0, "PAE", &v, NULL), MSC_EINVAL);
}

static void test_format_prints_names_then_hex_remainder(void **state)
{
	char buf[128];

	(void)state;
	cpu_flags_format(CPU_FLAGS_CR0, 0x60000010, buf, sizeof(buf));
	assert_string_equal(buf, "ET|NW|CD");
	cpu_flags_format(CPU_FLAGS_CR4, X86_CR4_PAE | BIT_ULL(40), buf, sizeof(buf));
	assert_string_equal(buf, "PAE|0x10000000000");
	cpu_flags_format(CPU_FLAGS_EFER, 0, buf, sizeof(buf));
	assert_string_equal(buf, "0x0");
	/* truncation keeps snprintf's contract: the full length is returned */
	assert_int_equal(cpu_flags_format(CPU_FLAGS_CR0, 0x60000010, buf, 4), 8);
	assert_string_equal(buf, "ET|");
}

static void test_format_then_parse_round_trips(void **state)
{
	char buf[256];
	u64 v;

	(void)state;
	for (u64 x = 1; x; x <<= 1) {
		assert_true(cpu_flags_format(CPU_FLAGS_CR4, x | X86_CR4_PAE, buf, sizeof(buf)) > 0);
		assert_int_equal(cpu_flags_parse(CPU_FLAGS_CR4, buf, &v, NULL), 0);
		assert_int_equal(v, x | X86_CR4_PAE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_hex_terms_combine),
		cmocka_unit_test(test_bad_terms_are_rejected_with_their_position),
		cmocka_unit_test(test_format_prints_names_then_hex_remainder),
		cmocka_unit_test(test_format_then_parse_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
