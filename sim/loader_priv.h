/* SPDX-License-Identifier: MIT */
/*
 * What the loader's files (sim/loader*.c) share: the loading context, member
 * getters that keep the JSON path, and the readers used by more than one part.
 */
#ifndef MSC_SIM_LOADER_PRIV_H
#define MSC_SIM_LOADER_PRIV_H

#include "sim/loader_json.h"
#include "sim/loader_names.h"

#define REQ true /* a required member */
#define OPT false /* an optional one */
#define MAX_COUNT 9007199254740992LL /* 2^53: counts read through a double */

/* One load: the error sink with the current path, and the scenario being filled. */
struct ld {
	struct jctx c;
	struct scenario *s;
};

/* Keys of a memslot object and of register objects, in canonical order. */
extern const char *const ld_slot_keys[];
extern const char *const ld_reg_keys[];

/* Set @L's error to "out of memory" (no position); returns MSC_ENOMEM. */
int ld_nomem(struct ld *L);

/*
 * Member getters. Each looks up @key in object @o and returns 1 with the value
 * read, 0 when it is absent (then an error if @req: "missing required key"), or
 * a negative error with the path naming the member.
 */
int ld_member(struct ld *L, const struct jn *o, const char *key, bool req, const struct jn **v);
int ld_get_int(struct ld *L, const struct jn *o, const char *key, bool req, s64 min, s64 max,
	       s64 *out);
int ld_get_hex(struct ld *L, const struct jn *o, const char *key, bool req, u64 *out);
int ld_get_bool(struct ld *L, const struct jn *o, const char *key, bool *out);
int ld_get_enum(struct ld *L, const struct jn *o, const char *key, bool req, const char *what,
		const char *const *names, unsigned n, unsigned *out);
int ld_get_flags(struct ld *L, const struct jn *o, const char *key, bool req, enum scn_flagset fs,
		 const char *field, u64 *out);
/* A string copied into the scenario's arena. */
int ld_get_str(struct ld *L, const struct jn *o, const char *key, bool req, const char **out);
/* A page size ("4k" "2m" "4m" "1g") in bytes; optional. */
int ld_get_size(struct ld *L, const struct jn *o, const char *key, u64 *out);
/* "size": 1, 2, 4 or 8; optional. */
int ld_get_access_size(struct ld *L, const struct jn *o, u8 *out);
/*
 * An object with only @keys, or an array. On 1 the key stays on the path: the
 * caller reads inside and pops with jpath_pop() when done.
 */
int ld_get_obj(struct ld *L, const struct jn *o, const char *key, bool req, const char *const *keys,
	       const struct jn **v);
int ld_get_arr(struct ld *L, const struct jn *o, const char *key, bool req, const struct jn **v);

/* An error at member @key of @o (at @o itself when @key is NULL or absent). */
int ld_key_err(struct ld *L, const struct jn *o, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* An error at the key (not the value) of member @key, which must be present. */
int ld_at_key(struct ld *L, const struct jn *o, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

struct scn_pos ld_pos(const struct jn *v);
/* @v fits in @bytes bytes; ld_fit_err reports that member "value" of @o does not. */
bool ld_fits(u64 v, unsigned bytes);
int ld_fit_err(struct ld *L, const struct jn *o, u64 v, unsigned bytes);

/* Registers: one value by name; the register members of @o in file order. */
int ld_reg_value(struct ld *L, const struct jn *v, const char *name, u64 *out);
int ld_load_regs(struct ld *L, const struct jn *o, struct scn_regval *out, unsigned *n);

/* Memslot keys of @o (keys already checked); "flags" of @o OR-ed into *flags. */
int ld_load_slot(struct ld *L, const struct jn *o, struct scn_memslot *ms, bool id_req,
		 bool *id_given);
int ld_load_slot_flags(struct ld *L, const struct jn *o, bool req, u32 *flags);

/* Page-table references: format/root/as, a va of that format, a level, an entry value. */
int ld_load_pt_ref(struct ld *L, const struct jn *o, struct scn_pt_ref *pt);
int ld_load_va(struct ld *L, const struct jn *o, const struct scn_pt_ref *pt, u64 *va);
int ld_load_level(struct ld *L, const struct jn *o, enum scn_fmt fmt, u8 *level);
int ld_load_entry_value(struct ld *L, const struct jn *o, enum scn_fmt fmt, u64 *val);

/* "steps" of the document (after the machine and vCPUs); "expect" of step object @so. */
int ld_load_steps(struct ld *L, const struct jn *root);
int ld_load_expect(struct ld *L, const struct jn *so, struct scn_step *st);

#endif
