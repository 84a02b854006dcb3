/* SPDX-License-Identifier: MIT */
/*
 * The paging-entry formats as data: a bit table per entry kind, the reserved-bit
 * masks derived from them (indexed [ps][level], as KVM's rsvd_bits_mask), and
 * the entry decoder and format names the GUI and traces print.
 */
#include "cpu/walk_fmt.h"

#include "cpu/sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * ---- 32-bit paging (SDM Vol. 3 4.3, Tables 4-4..4-6) -- 4-byte entries ----
 *
 * PDE referencing a page table (Table 4-5)  | PDE mapping a 4 MiB page (Table 4-4)
 *  0     P                                  |  0     P
 *  1     R/W                                |  1     R/W
 *  2     U/S                                |  2     U/S
 *  3     PWT                                |  3     PWT
 *  4     PCD                                |  4     PCD
 *  5     A                                  |  5     A
 *  6     ignored                            |  6     D
 *  7     PS = 0 (ignored when CR4.PSE = 0)  |  7     PS = 1 (only with CR4.PSE = 1)
 *  11:8  ignored                            |  8     G
 *  31:12 page-table address                 |  11:9  ignored
 *                                           |  12    PAT
 *                                           |  (M32-20):13 PA bits (M32-1):32 (PSE-36)
 *                                           |  21:(M32-19) reserved
 *                                           |  31:22 PA bits 31:22
 * M32 = min(MAXPHYADDR, 40) with PSE-36, else 32 (then bits 21:13 are reserved).
 *
 * PTE mapping a 4 KiB page (Table 4-6): 0 P, 1 R/W, 2 U/S, 3 PWT, 4 PCD, 5 A,
 * 6 D, 7 PAT, 8 G, 11:9 ignored, 31:12 page address. No reserved bits.
 *
 * ---- PAE paging (SDM 4.4, Tables 4-8..4-11) -- 8-byte entries ----
 *
 * PDPTE (register, Table 4-8)  | PDE -> PT (4-10)   | PDE 2 MiB (4-9)    | PTE (4-11)
 *  0     P                     |  0 P               |  0 P               |  0 P
 *  2:1   reserved              |  1 R/W             |  1 R/W             |  1 R/W
 *  3     PWT                   |  2 U/S             |  2 U/S             |  2 U/S
 *  4     PCD                   |  3 PWT  4 PCD      |  3 PWT  4 PCD      |  3 PWT  4 PCD
 *  8:5   reserved              |  5 A               |  5 A    6 D        |  5 A    6 D
 *  11:9  ignored               |  6 ignored         |  7 PS = 1          |  7 PAT
 *  (M-1):12 page-directory addr|  7 PS = 0          |  8 G               |  8 G
 *  63:M  reserved              |  11:8 ignored      |  12 PAT            |  11:9 ignored
 *                              |  (M-1):12 PT addr  |  20:13 reserved    |  (M-1):12 page
 *                              |  62:M reserved     |  (M-1):21 page     |  62:M reserved
 *                              |  63 XD (rsvd when  |  62:M reserved     |  63 XD
 *                              |     EFER.NXE = 0)  |  63 XD             |
 *
 * ---- 4-level and 5-level paging (SDM 4.5, Tables 4-14..4-20) ----
 *
 * PML5E / PML4E (4-14, 4-15)     | PDPTE 1 GiB (4-16)  | PDE 2 MiB (4-18)   | PTE (4-20)
 *  0 P  1 R/W  2 U/S             |  0 P 1 R/W 2 U/S    |  0 P 1 R/W 2 U/S   |  0 P 1 R/W 2 U/S
 *  3 PWT  4 PCD  5 A             |  3 PWT 4 PCD 5 A    |  3 PWT 4 PCD 5 A   |  3 PWT 4 PCD 5 A
 *  6 ignored                     |  6 D                |  6 D               |  6 D
 *  7 PS: reserved (must be 0)    |  7 PS = 1           |  7 PS = 1          |  7 PAT
 *  8 ignored (AMD: reserved,     |  8 G                |  8 G               |  8 G
 *    APM 5.3.3 "MBZ")            |  11:9 ignored       |  11:9 ignored      |  11:9 ignored
 *  11:9 ignored                  |  12 PAT             |  12 PAT            |  (M-1):12 page
 *  (M-1):12 next-table address   |  29:13 reserved     |  20:13 reserved    |  51:M reserved
 *  51:M reserved                 |  (M-1):30 page      |  (M-1):21 page     |  58:52 ignored
 *  62:52 ignored                 |  51:M reserved      |  51:M reserved     |  62:59 prot. key
 *  63 XD                         |  58:52 ignored      |  58:52 ignored     |  63 XD
 *                                |  62:59 prot. key    |  62:59 prot. key   |
 *                                |  63 XD              |  63 XD             |
 * PDPTE -> PD (4-17) and PDE -> PT (4-19): as PML4E but bit 7 is PS = 0 and bit 8
 * is ignored on both vendors. Without 1 GiB pages (CPUID.80000001H:EDX[26]) PS in
 * a PDPTE is itself reserved. Bit 63 is reserved when EFER.NXE = 0.
 *
 * ---- EPT (SDM 29.3.2, Tables 29-1..29-6) -- 8-byte entries ----
 *
 * PML5E / PML4E (29-1)       | PDPTE 1 GiB (29-2)   | PDE 2 MiB (29-4)    | PTE (29-6)
 *  0 R  1 W  2 X             |  0 R  1 W  2 X       |  0 R  1 W  2 X      |  0 R  1 W  2 X
 *  7:3 reserved              |  5:3 memory type     |  5:3 memory type    |  5:3 memory type
 *  8 A (EPTP bit 6 = 1)      |  6 IPAT              |  6 IPAT             |  6 IPAT
 *  9 ignored                 |  7 PS = 1            |  7 PS = 1           |  7 ignored
 *  10 user-execute (MBEC)    |  8 A    9 D          |  8 A    9 D         |  8 A    9 D
 *  11 ignored                |  10 user-execute     |  10 user-execute    |  10 user-execute
 *  (M-1):12 next table       |  29:12 reserved      |  20:12 reserved     |  (M-1):12 page
 *  51:M reserved             |  (M-1):30 page       |  (M-1):21 page      |  51:M reserved
 *  63:52 ignored             |  51:M reserved       |  51:M reserved      |  62:52 ignored
 *                            |  63 suppress #VE     |  63 suppress #VE    |  63 suppress #VE
 * PDPTE -> PD (29-3) and PDE -> PT (29-5): bits 6:3 reserved, 7 PS = 0, 8 A,
 * (M-1):12 next table. PS is reserved where the CPU lacks that page size
 * (IA32_VMX_EPT_VPID_CAP bits 16/17). Present = any of bits 2:0 (SDM 29.3.2).
 * Misconfigurations besides reserved bits (SDM 29.3.3.1): W without R; XWR=100
 * without execute-only support; a leaf memory type of 2, 3 or 7.
 *
 * ---- NPT (APM Vol. 2 15.25.5) ----
 * Nested page tables use the legacy format of the host's paging mode at VMRUN
 * (long mode: 4/5-level; else PAE or 32-bit) with the same bit tables as above.
 * Every NPT access is a user access, so U/S must be 1 on every level; CR0.WP,
 * SMAP and PKU do not apply. The PAE form has no PDPTE registers: its PDPTEs are
 * read from memory at nCR3 bits 31:5 during each walk.
 */

/* Bits (h..l) of a mask, empty when h < l (e.g. 51:M with M = 52). */
static u64 bits_range(unsigned h, unsigned l)
{
	return h < l ? 0 : GENMASK_ULL(h, l);
}

void wfmt_build(struct wfmt *f, const struct walk_cfg *cfg)
{
	unsigned m = cfg->maxphyaddr;
	u64 hi, x;
	unsigned l;

	/* A hand-built cfg may leave MAXPHYADDR out; clamp to what CPUID allows. */
	if (m < 32)
		m = 32;
	if (m > 52)
		m = 52;
	hi = bits_range(51, m); /* bits 51:M, reserved in every 8-byte entry */

	memset(f, 0, sizeof(*f));
	f->present = WF_P;
	f->in_mask = ~0ULL;
	f->esize = 8;
	f->bits = 9;
	f->kind = cfg->npt ? WF_KIND_NPT : WF_KIND_LEGACY;
	f->d_bit = WF_D;
	/* SDM 4.7: I/D = fetch and (CR4.SMEP or (EFER.NXE and PAE-or-wider paging)). */
	f->fetch_ec = cfg->smep || (cfg->nxe && cfg->fmt != WALK_FMT_32);

	switch (cfg->fmt) {
	case WALK_FMT_NONE:
		f->kind = WF_KIND_NONE;
		f->in_mask = 0xffffffffULL;
		f->fetch_ec = false;
		return;
	case WALK_FMT_32:
		f->levels = 2;
		f->esize = 4;
		f->bits = 10;
		f->in_mask = 0xffffffffULL;
		f->root = cfg->root & WF_ADDR_MASK32;
		/* SDM 4.3: PSE-36 widens a 4 MiB page's address to min(M, 40) bits. */
		f->m32 = (u8)(cfg->pse36 ? (m < 40 ? m : 40) : 32);
		if (cfg->pse) {
			f->ps[2] = WF_PS;
			f->rsvd[1][2] = GENMASK_ULL(21, f->m32 - 19u);
		}
		f->a_bit[1] = f->a_bit[2] = WF_A;
		return;
	case WALK_FMT_PAE:
		f->levels = 3;
		f->in_mask = 0xffffffffULL;
		f->root = cfg->root & GENMASK_ULL(31, 5);
		/* NPT in PAE form reads its PDPTEs during the walk (APM 15.25.5). */
		f->pdptr = !cfg->npt;
		/* SDM Table 4-8: the PDPTE has no rights, no A bit, no XD. */
		f->rsvd[0][3] = f->rsvd[1][3] =
			GENMASK_ULL(2, 1) | GENMASK_ULL(8, 5) | bits_range(63, m);
		f->acc_or[3] = ACC_ALL;
		/* SDM Tables 4-9..4-11: 62:M, and XD when EFER.NXE = 0. */
		x = bits_range(62, m) | (cfg->nxe ? 0 : WF_XD);
		f->rsvd[0][1] = f->rsvd[1][1] = x;
		f->rsvd[0][2] = x;
		f->ps[2] = WF_PS;
		f->rsvd[1][2] = x | GENMASK_ULL(20, 13);
		f->a_bit[1] = f->a_bit[2] = WF_A;
		return;
	case WALK_FMT_4LVL:
	case WALK_FMT_5LVL:
		f->levels = cfg->fmt == WALK_FMT_5LVL ? 5 : 4;
		/* SDM 4.5.1: linear addresses must be canonical; a GPA is not. */
		if (!cfg->npt)
			f->canon = f->levels == 5 ? 57 : 48;
		f->root = cfg->root & WF_ADDR_MASK;
		x = hi | (cfg->nxe ? 0 : WF_XD);
		for (l = 1; l <= f->levels; l++) {
			f->rsvd[0][l] = f->rsvd[1][l] = x;
			f->a_bit[l] = WF_A;
		}
		/* PML4E/PML5E: PS must be 0; AMD also reserves bit 8 (APM 5.3.3). */
		for (l = 4; l <= f->levels; l++) {
			u64 top = WF_PS | (cfg->vendor == CPU_VENDOR_AMD ? WF_G : 0);

			f->rsvd[0][l] |= top;
			f->rsvd[1][l] |= top;
		}
		f->ps[3] = WF_PS;
		f->rsvd[1][3] |= cfg->gbpages ? GENMASK_ULL(29, 13) : WF_PS;
		f->ps[2] = WF_PS;
		f->rsvd[1][2] |= GENMASK_ULL(20, 13);
		return;
	case WALK_FMT_EPT:
		f->kind = WF_KIND_EPT;
		f->fetch_ec = false;
		f->present = WF_EPT_XWR;
		f->execonly = cfg->ept_execonly;
		f->levels = cfg->levels;
		if (f->levels != 4 && f->levels != 5) {
			f->bad_levels = true;
			f->levels = 4;
		}
		f->root = cfg->root & WF_ADDR_MASK;
		for (l = 1; l <= f->levels; l++) {
			f->rsvd[0][l] = f->rsvd[1][l] = hi;
			f->a_bit[l] = cfg->ept_ad ? WF_EPT_A : 0;
		}
		f->d_bit = cfg->ept_ad ? WF_EPT_D : 0;
		for (l = 4; l <= f->levels; l++) {
			f->rsvd[0][l] |= GENMASK_ULL(7, 3);
			f->rsvd[1][l] |= GENMASK_ULL(7, 3);
		}
		f->ps[3] = WF_EPT_PS;
		f->rsvd[0][3] |= GENMASK_ULL(6, 3);
		f->rsvd[1][3] |= GENMASK_ULL(29, 12) | (cfg->ept_1g ? 0 : WF_EPT_PS);
		f->ps[2] = WF_EPT_PS;
		f->rsvd[0][2] |= GENMASK_ULL(6, 3);
		f->rsvd[1][2] |= GENMASK_ULL(20, 12) | (cfg->ept_2m ? 0 : WF_EPT_PS);
		return;
	}
	/* An enum value outside the list: treat as no paging. */
	f->kind = WF_KIND_NONE;
	f->in_mask = 0xffffffffULL;
}

u64 walk_rsvd_mask(const struct walk_cfg *cfg, u8 level, bool ps)
{
	struct wfmt f;

	wfmt_build(&f, cfg);
	if (f.kind == WF_KIND_NONE || level < 1 || level > f.levels)
		return 0;
	return f.rsvd[ps && f.ps[level]][level];
}

const char *walk_fmt_name(enum walk_fmt fmt)
{
	switch (fmt) {
	case WALK_FMT_NONE:
		return "none";
	case WALK_FMT_32:
		return "32-bit";
	case WALK_FMT_PAE:
		return "PAE";
	case WALK_FMT_4LVL:
		return "4-level";
	case WALK_FMT_5LVL:
		return "5-level";
	case WALK_FMT_EPT:
		return "EPT";
	}
	return "?";
}

/* Append a flag name, space-separated, when @on. */
static void sb_flag(struct msc_sbuf *sb, bool on, const char *name)
{
	if (on)
		msc_sb_add(sb, "%s%s", sb->len ? " " : "", name);
}

static void decode_legacy(struct msc_sbuf *sb, const struct wfmt *f, unsigned level, u64 pte)
{
	bool pdpte = f->acc_or[level] == ACC_ALL; /* PAE PDPTE: P, PWT, PCD only */
	bool ps = (pte & f->ps[level]) != 0;
	bool leaf = level == 1 || ps;

	sb_flag(sb, true, "P");
	sb_flag(sb, !pdpte && (pte & WF_RW), "W");
	sb_flag(sb, !pdpte && (pte & WF_US), "U");
	sb_flag(sb, pte & WF_PWT, "PWT");
	sb_flag(sb, pte & WF_PCD, "PCD");
	sb_flag(sb, !pdpte && (pte & WF_A), "A");
	sb_flag(sb, leaf && (pte & WF_D), "D");
	sb_flag(sb, ps, "PS");
	sb_flag(sb, level == 1 && (pte & WF_PS), "PAT");
	sb_flag(sb, leaf && (pte & WF_G), "G");
	sb_flag(sb, leaf && level > 1 && (pte & WF_PAT_LARGE), "PAT");
	sb_flag(sb, f->esize == 8 && !pdpte && (pte & WF_XD), "XD");
	if (leaf && f->levels >= 4) {
		unsigned pkey = (unsigned)(pte >> WF_PKEY_SHIFT) & 0xfu;

		if (pkey)
			msc_sb_add(sb, " pkey=%u", pkey);
	}
	msc_sb_add(sb, " addr=0x%llx",
		   (unsigned long long)(leaf ? wfmt_leaf_base(f, level, pte) : pte & WF_ADDR_MASK));
}

static void decode_ept(struct msc_sbuf *sb, const struct wfmt *f, unsigned level, u64 pte)
{
	bool ps = (pte & f->ps[level]) != 0;
	bool leaf = level == 1 || ps;

	sb_flag(sb, pte & WF_EPT_R, "R");
	sb_flag(sb, pte & WF_EPT_W, "W");
	sb_flag(sb, pte & WF_EPT_X, "X");
	if (leaf) {
		msc_sb_add(sb, " mt=%u", (unsigned)(pte >> WF_EPT_MT_SHIFT) & 7u);
		sb_flag(sb, pte & WF_EPT_IPAT, "IPAT");
	}
	sb_flag(sb, ps, "PS");
	sb_flag(sb, pte & WF_EPT_A, "A");
	sb_flag(sb, leaf && (pte & WF_EPT_D), "D");
	sb_flag(sb, pte & WF_EPT_UX, "UX");
	sb_flag(sb, leaf && (pte & WF_EPT_SVE), "SVE");
	msc_sb_add(sb, " addr=0x%llx",
		   (unsigned long long)(leaf ? wfmt_leaf_base(f, level, pte) : pte & WF_ADDR_MASK));
}

int walk_decode_entry(const struct walk_cfg *cfg, u8 level, u64 pte, char *buf, size_t n)
{
	struct msc_sbuf sb;
	struct wfmt f;
	u64 rsvd;

	msc_sb_init(&sb, buf, n);
	wfmt_build(&f, cfg);
	if (f.kind == WF_KIND_NONE || level < 1 || level > f.levels) {
		msc_sb_add(&sb, "raw=0x%llx", (unsigned long long)pte);
		return msc_sb_len(&sb);
	}
	if (f.esize == 4)
		pte &= 0xffffffffULL;
	if (!(pte & f.present)) {
		msc_sb_add(&sb, "not-present");
		if (pte)
			msc_sb_add(&sb, " raw=0x%llx", (unsigned long long)pte);
		return msc_sb_len(&sb);
	}
	if (f.kind == WF_KIND_EPT)
		decode_ept(&sb, &f, level, pte);
	else
		decode_legacy(&sb, &f, level, pte);
	rsvd = pte & f.rsvd[(pte & f.ps[level]) != 0][level];
	if (rsvd)
		msc_sb_add(&sb, " rsvd=0x%llx", (unsigned long long)rsvd);
	return msc_sb_len(&sb);
}

const char *walk_acc_name(enum walk_access acc)
{
	switch (acc) {
	case WALK_ACC_READ:
		return "read";
	case WALK_ACC_WRITE:
		return "write";
	case WALK_ACC_FETCH:
		return "fetch";
	}
	return "?";
}

const char *walk_fault_name(enum walk_fault_kind kind)
{
	switch (kind) {
	case WALK_FAULT_NONE:
		return "none";
	case WALK_FAULT_PF:
		return "pf";
	case WALK_FAULT_GP:
		return "gp";
	case WALK_FAULT_EPT_VIOLATION:
		return "ept_violation";
	case WALK_FAULT_EPT_MISCONFIG:
		return "ept_misconfig";
	case WALK_FAULT_NPF:
		return "npf";
	}
	return "?";
}
