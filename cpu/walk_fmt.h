/* SPDX-License-Identifier: MIT */
/*
 * Internal to the walker: the per-format tables (geometry, reserved-bit masks
 * indexed [ps][level], rights and A/D bit positions) that drive the one walk
 * loop in walk.c. Built from a struct walk_cfg by wfmt_build().
 */
#ifndef MSC_CPU_WALK_FMT_H
#define MSC_CPU_WALK_FMT_H

#include "cpu/types.h"
#include "cpu/walk.h"

/* Bits shared by the legacy formats (32-bit, PAE, 4/5-level, NPT); SDM 4.3-4.5. */
#define WF_P BIT_ULL(0)
#define WF_RW BIT_ULL(1)
#define WF_US BIT_ULL(2)
#define WF_PWT BIT_ULL(3)
#define WF_PCD BIT_ULL(4)
#define WF_A BIT_ULL(5)
#define WF_D BIT_ULL(6)
#define WF_PS BIT_ULL(7) /* PAT in a 4 KiB PTE */
#define WF_G BIT_ULL(8)
#define WF_PAT_LARGE BIT_ULL(12) /* PAT of a 2M/4M/1G leaf */
#define WF_XD BIT_ULL(63)
#define WF_PKEY_SHIFT 59 /* bits 62:59, 4/5-level leaves (SDM 4.6.2) */

/* EPT entry bits (SDM 29.3.2, Tables 29-1..29-6). */
#define WF_EPT_R BIT_ULL(0)
#define WF_EPT_W BIT_ULL(1)
#define WF_EPT_X BIT_ULL(2)
#define WF_EPT_XWR 7ULL
#define WF_EPT_MT_SHIFT 3 /* leaf memory type, bits 5:3 */
#define WF_EPT_IPAT BIT_ULL(6)
#define WF_EPT_PS BIT_ULL(7)
#define WF_EPT_A BIT_ULL(8)
#define WF_EPT_D BIT_ULL(9)
#define WF_EPT_UX BIT_ULL(10) /* user-execute with mode-based execute control */
#define WF_EPT_SVE BIT_ULL(63) /* suppress #VE */

/* Address field of every 8-byte entry: bits 51:12 (bits M..51 are reserved). */
#define WF_ADDR_MASK GENMASK_ULL(51, 12)
/* Address field of a 4-byte entry: bits 31:12. */
#define WF_ADDR_MASK32 GENMASK_ULL(31, 12)

enum wfmt_kind {
	WF_KIND_NONE, /* no paging: identity, 32-bit */
	WF_KIND_LEGACY, /* 32-bit, PAE, 4/5-level with CPL/U/S/WP/SMEP/SMAP/PKU rules */
	WF_KIND_NPT, /* legacy entry format, every access a user access (APM 15.25.5) */
	WF_KIND_EPT, /* EPT format and rules */
};

/*
 * One format, resolved for one cfg. Everything the loop needs per level is a
 * table lookup: no switch on the format inside the loop.
 */
struct wfmt {
	u8 kind; /* enum wfmt_kind */
	u8 levels; /* 2, 3, 4, 5 (0 for NONE) */
	u8 esize; /* entry size: 4 or 8 bytes */
	u8 bits; /* index bits per level: 10 (32-bit) or 9 */
	u8 canon; /* linear-address width checked for canonicality: 48, 57 or 0 */
	bool pdptr; /* PAE level 3 comes from cfg->pdpte (not read from memory) */
	bool bad_levels; /* EPT walk length other than 4 or 5 */
	bool fetch_ec; /* I/D bit of a fetch's error code (SDM 4.7) */
	bool execonly; /* EPT XWR=100 allowed */
	u8 m32; /* 32-bit 4 MiB pages: PA width (32, or min(M, 40) with PSE-36) */
	u64 in_mask; /* input-address bits the walk uses (32-bit formats: 31:0) */
	u64 root; /* top table base, masked */
	u64 present; /* present test: legacy bit 0, EPT bits 2:0 */
	u64 ps[6]; /* [level]: bit 7 where it is a page-size bit, else 0 */
	u64 rsvd[2][6]; /* [ps][level]: reserved bits of a present entry */
	u8 acc_or[6]; /* [level]: rights an entry cannot restrict (PAE PDPTE: all) */
	u64 a_bit[6]; /* [level]: accessed bit (0: the format has none there) */
	u64 d_bit; /* leaf dirty bit (0: none) */
};

/* Resolve @cfg into @f (cheap: a few dozen ALU operations, no memory reads). */
void wfmt_build(struct wfmt *f, const struct walk_cfg *cfg);

/* Shift of the address bits a level-@level entry indexes (12 + bits * (level-1)). */
static inline unsigned wfmt_shift(const struct wfmt *f, unsigned level)
{
	return 12u + f->bits * (level - 1u);
}

/*
 * Base of the page a leaf @pte at @level maps (SDM Tables 4-4..4-20, 29-x):
 * bits 51:shift, except a 32-bit 4 MiB PDE, whose bits 31:22 are PA 31:22 and
 * whose bits (m32-20):13 are PA (m32-1):32 (PSE-36).
 */
static inline u64 wfmt_leaf_base(const struct wfmt *f, unsigned level, u64 pte)
{
	if (f->esize == 4 && level == 2) {
		u64 hi = (pte >> 13) & ((1ULL << (f->m32 - 32u)) - 1u);
		return (pte & GENMASK_ULL(31, 22)) | (hi << 32);
	}
	return pte & WF_ADDR_MASK & ~((1ULL << wfmt_shift(f, level)) - 1u);
}

#endif
