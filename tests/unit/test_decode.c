/* SPDX-License-Identifier: MIT */
/*
 * Instruction decoding (cpu/decode.h): Capstone's text, the size of the memory
 * an instruction writes (with the stores Capstone 4 marks as reads), invalid
 * bytes, and the code size.
 */
#include "cpu/decode.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cpu/err.h"

/* Hex byte pairs ("48 89 18") into @out; returns the count. */
static size_t parse_hex(const char *hex, u8 *out, size_t max)
{
	size_t n = 0;
	unsigned v;
	int used;

	while (n < max && sscanf(hex, " %2x%n", &v, &used) == 1) {
		out[n++] = (u8)v;
		hex += used;
	}
	return n;
}

/*
 * Decode @hex as @bits-bit code: want @text, an instruction of @len bytes that
 * writes @writes bytes of memory; "(bad)" means not decodable (len and writes 0).
 */
static void expect_decode(unsigned bits, const char *hex, u8 len, u8 writes, const char *text)
{
	bool valid = strcmp(text, "(bad)") != 0;
	struct decoded_insn d;
	u8 bytes[16];
	size_t n = parse_hex(hex, bytes, sizeof(bytes));
	int r = decode_insn(bytes, n, bits, 0x1000, &d);

	if (r != 0 || d.valid != valid || d.write_size != writes || d.len != len ||
	    strcmp(d.text, text)) {
		print_error("%s (%u-bit): want rc 0 valid %d len %u writes %u \"%s\"; "
			    "got rc %d valid %d len %u writes %u \"%s\"\n",
			    hex, bits, valid, len, writes, text, r, d.valid, d.len, d.write_size,
			    d.text);
		fail();
	}
}

static void test_mov_qword_store_writes_8_bytes(void **state)
{
	(void)state;
	expect_decode(64, "48 89 18", 3, 8, "mov qword ptr [rax], rbx");
}

static void test_mov_dword_immediate_store_writes_4_bytes(void **state)
{
	(void)state;
	expect_decode(64, "c7 07 00 00 00 00", 6, 4, "mov dword ptr [rdi], 0");
	expect_decode(64, "c6 07 01", 3, 1, "mov byte ptr [rdi], 1");
}

static void test_xchg_with_memory_writes_it(void **state)
{
	(void)state;
	expect_decode(64, "48 87 07", 3, 8, "xchg qword ptr [rdi], rax");
	expect_decode(64, "48 0f c1 07", 4, 8, "xadd qword ptr [rdi], rax");
}

/* Capstone 4 marks these destinations as reads: the decoder corrects it. */
static void test_cmpxchg8b_and_16b_write_their_operand(void **state)
{
	(void)state;
	expect_decode(64, "0f c7 0f", 3, 8, "cmpxchg8b qword ptr [rdi]");
	expect_decode(64, "f0 48 0f c7 0f", 5, 16, "lock cmpxchg16b xmmword ptr [rdi]");
	expect_decode(64, "f0 48 0f b1 0f", 5, 8, "lock cmpxchg qword ptr [rdi], rcx");
}

static void test_sse_and_x87_stores_write_their_operand(void **state)
{
	(void)state;
	expect_decode(64, "66 0f d6 07", 4, 8, "movq qword ptr [rdi], xmm0");
	expect_decode(64, "0f 11 07", 3, 16, "movups xmmword ptr [rdi], xmm0");
	expect_decode(64, "48 0f c3 07", 4, 8, "movnti qword ptr [rdi], rax");
	expect_decode(64, "c5 fe 7f 07", 4, 32, "vmovdqu ymmword ptr [rdi], ymm0");
	expect_decode(64, "d9 17", 2, 4, "fst dword ptr [rdi]");
}

static void test_string_stores_write_the_element_size(void **state)
{
	(void)state;
	expect_decode(64, "48 ab", 2, 8, "stosq qword ptr [rdi], rax");
	expect_decode(64, "f3 aa", 2, 1, "rep stosb byte ptr [rdi], al");
	expect_decode(64, "48 a5", 2, 8, "movsq qword ptr [rdi], qword ptr [rsi]");
}

static void test_register_and_load_instructions_write_nothing(void **state)
{
	(void)state;
	expect_decode(64, "48 01 d8", 3, 0, "add rax, rbx");
	expect_decode(64, "48 8b 03", 3, 0, "mov rax, qword ptr [rbx]");
	expect_decode(64, "48 39 07", 3, 0, "cmp qword ptr [rdi], rax");
	expect_decode(64, "0f 01 38", 3, 0, "invlpg byte ptr [rax]");
	expect_decode(64, "0f 0b", 2, 0, "ud2");
}

/* @hex decodes (64-bit) as an instruction KVM's emulator does / does not mark PageTable. */
static void expect_pt_writing(const char *hex, bool want)
{
	struct decoded_insn d;
	u8 bytes[16];
	size_t n = parse_hex(hex, bytes, sizeof(bytes));

	if (decode_insn(bytes, n, 64, 0x1000, &d) != 0 || !d.valid || d.pt_writing != want) {
		print_error("%s (\"%s\"): want pt_writing %d, got %d\n", hex, d.text, want,
			    d.pt_writing);
		fail();
	}
}

static void test_page_table_writing_instructions_follow_kvm_emulator_flags(void **state)
{
	(void)state;
	expect_pt_writing("48 89 18", true); /* mov [rax], rbx */
	expect_pt_writing("c7 07 00 00 00 00", true); /* mov dword [rdi], 0 */
	expect_pt_writing("8c 07", true); /* mov [rdi], es */
	expect_pt_writing("48 87 07", true); /* xchg */
	expect_pt_writing("f0 48 0f b1 0f", true); /* lock cmpxchg */
	expect_pt_writing("0f c7 0f", true); /* cmpxchg8b */
	expect_pt_writing("48 09 07", true); /* or [rdi], rax */
	expect_pt_writing("48 21 07", true); /* and [rdi], rax */
	expect_pt_writing("80 27 fe", true); /* and byte [rdi], 0xfe (clear_bit) */
	expect_pt_writing("83 0f 01", true); /* or dword [rdi], 1 */
	expect_pt_writing("48 0f ab 07", true); /* bts */
	expect_pt_writing("48 0f ba 2f 01", true); /* bts [rdi], 1 (group 8 /5) */
	expect_pt_writing("48 0f ba 3f 01", true); /* btc [rdi], 1 (group 8 /7) */
	expect_pt_writing("48 0f ba 37 01", false); /* btr [rdi], 1: not PageTable */
	expect_pt_writing("48 01 07", false); /* add */
	expect_pt_writing("48 ab", false); /* stosq */
	expect_pt_writing("48 a5", false); /* movsq */
	expect_pt_writing("48 0f c1 07", false); /* xadd */
	expect_pt_writing("48 ff 07", false); /* inc qword [rdi] */
	expect_pt_writing("83 07 01", false); /* add dword [rdi], 1 (group 1 /0) */
}

static void test_bad_bytes_decode_as_bad(void **state)
{
	(void)state;
	/* push es does not exist in 64-bit mode; a lone REX prefix is incomplete. */
	expect_decode(64, "06", 0, 0, "(bad)");
	expect_decode(64, "48", 0, 0, "(bad)");
}

static void test_32_bit_mode_decodes_legacy_forms(void **state)
{
	(void)state;
	expect_decode(32, "89 18", 2, 4, "mov dword ptr [eax], ebx");
	expect_decode(32, "06", 1, 0, "push es");
	/* 48 is "dec eax" outside 64-bit mode, not a REX prefix. */
	expect_decode(32, "48 89 18", 1, 0, "dec eax");
}

static void test_16_bit_mode_uses_16_bit_operands(void **state)
{
	(void)state;
	expect_decode(16, "89 18", 2, 2, "mov word ptr [bx + si], bx");
}

static void test_bad_arguments_are_einval_and_fill_bad(void **state)
{
	static const u8 b[] = {0x90};
	struct decoded_insn d;

	(void)state;
	memset(&d, 0x5a, sizeof(d));
	assert_int_equal(decode_insn(b, 1, 8, 0, &d), MSC_EINVAL);
	assert_false(d.valid);
	assert_string_equal(d.text, "(bad)");
	assert_int_equal(decode_insn(NULL, 1, 64, 0, &d), MSC_EINVAL);
	assert_int_equal(decode_insn(b, 0, 64, 0, &d), MSC_EINVAL);
	assert_int_equal(decode_insn(b, 1, 64, 0, NULL), MSC_EINVAL);
}

static void test_decoding_is_the_same_every_time(void **state)
{
	static const u8 b[] = {0x48, 0x89, 0x18};
	struct decoded_insn a, c;

	(void)state;
	for (int i = 0; i < 50; i++) {
		assert_int_equal(decode_insn(b, sizeof(b), 64, 0, &a), 0);
		assert_int_equal(decode_insn(b, sizeof(b), 64, 0, &c), 0);
		assert_memory_equal(&a, &c, sizeof(a));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mov_qword_store_writes_8_bytes),
		cmocka_unit_test(test_mov_dword_immediate_store_writes_4_bytes),
		cmocka_unit_test(test_xchg_with_memory_writes_it),
		cmocka_unit_test(test_cmpxchg8b_and_16b_write_their_operand),
		cmocka_unit_test(test_sse_and_x87_stores_write_their_operand),
		cmocka_unit_test(test_string_stores_write_the_element_size),
		cmocka_unit_test(test_register_and_load_instructions_write_nothing),
		cmocka_unit_test(test_page_table_writing_instructions_follow_kvm_emulator_flags),
		cmocka_unit_test(test_bad_bytes_decode_as_bad),
		cmocka_unit_test(test_32_bit_mode_decodes_legacy_forms),
		cmocka_unit_test(test_16_bit_mode_uses_16_bit_operands),
		cmocka_unit_test(test_bad_arguments_are_einval_and_fill_bad),
		cmocka_unit_test(test_decoding_is_the_same_every_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
