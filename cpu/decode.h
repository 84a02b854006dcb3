/* SPDX-License-Identifier: MIT */
/*
 * x86 instruction decoding through Capstone (the only user of it): the text of a
 * scenario step's instruction bytes, and how many bytes it writes to memory (the
 * size of an emulated write to a write-protected guest page table).
 */
#ifndef MSC_CPU_DECODE_H
#define MSC_CPU_DECODE_H

#include "cpu/types.h"

struct decoded_insn {
	bool valid; /* Capstone decoded an instruction */
	u8 len; /* its length in bytes */
	u8 write_size; /* bytes written to memory by the instruction; 0 if none */
	/* x86_page_table_writing_insn(): KVM's emulator marks the opcode PageTable
	 * (mov, xchg, cmpxchg, cmpxchg8b/16b, or, and, bts, btc), so a write
	 * fault on a write-protected gfn is emulated, never unprotected-and-retried. */
	bool pt_writing;
	char text[96]; /* "mov qword ptr [rax], rbx", or "(bad)" */
};

/*
 * Decode the first instruction of @bytes (@len bytes) as code of @bits (16, 32
 * or 64) at @rip. Always fills @out; returns 0, MSC_EINVAL for bad arguments or
 * MSC_EIO if Capstone cannot be opened.
 */
int decode_insn(const u8 *bytes, size_t len, unsigned bits, u64 rip,
		struct decoded_insn *out) MSC_MUST_CHECK;

#endif
