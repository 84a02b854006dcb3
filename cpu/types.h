/* SPDX-License-Identifier: MIT */
/*
 * Fixed-width integer names, address-space types and bit helpers shared by every
 * mmuscope library. Each address space has its own type name so that variables
 * are named by the space they live in (house-style rule 5).
 */
#ifndef MSC_CPU_TYPES_H
#define MSC_CPU_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

typedef u64 gva_t; /* guest linear (virtual) address */
typedef u64 gpa_t; /* guest physical address */
typedef u64 gfn_t; /* guest frame number (gpa >> 12) */
typedef u64 hpa_t; /* simulated host physical address (shadow/TDP tables) */
typedef u64 hfn_t; /* simulated host frame number */

#define BIT_ULL(n) (1ULL << (n))
/* Bits h..l inclusive, h >= l, both in 0..63. */
#define GENMASK_ULL(h, l) ((~0ULL >> (63 - (h))) & (~0ULL << (l)))

#define PAGE_SHIFT 12
#define PAGE_SIZE 4096ULL
#define PAGE_MASK (~(PAGE_SIZE - 1))

#define MSC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* x86 memory is little-endian: @size (1..8) bytes at @buf as a value, and back. */
static inline u64 msc_le_get(const u8 *buf, unsigned size)
{
	u64 v = 0;

	for (unsigned i = 0; i < size && i < 8; i++)
		v |= (u64)buf[i] << (8 * i);
	return v;
}

static inline void msc_le_put(u8 *buf, u64 val, unsigned size)
{
	for (unsigned i = 0; i < size && i < 8; i++)
		buf[i] = (u8)(val >> (8 * i));
}

/* A 64-bit mixing function (the SplitMix64 finalizer) for hash tables. */
static inline u64 msc_mix64(u64 x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

#if defined(__GNUC__)
#define MSC_MUST_CHECK __attribute__((warn_unused_result))
#define MSC_UNUSED __attribute__((unused))
#else
#define MSC_MUST_CHECK
#define MSC_UNUSED
#endif

#endif
