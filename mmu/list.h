/* SPDX-License-Identifier: MIT */
/*
 * Intrusive doubly-linked lists (the kernel's list_head / hlist, reduced to what
 * the MMU model uses). Order is part of KVM's behaviour: new shadow pages go to
 * the head of the active list and of their hash bucket.
 */
#ifndef MSC_MMU_LIST_H
#define MSC_MMU_LIST_H

#include <stddef.h>

#include "cpu/types.h"

struct mlist {
	struct mlist *next, *prev;
};

#define MLIST_INIT(name)         \
	{                        \
		&(name), &(name) \
	}

static inline void mlist_init(struct mlist *h)
{
	h->next = h->prev = h;
}

static inline bool mlist_empty(const struct mlist *h)
{
	return h->next == h;
}

/* list_add(): insert @n right after @h (at the head). */
static inline void mlist_add(struct mlist *n, struct mlist *h)
{
	n->next = h->next;
	n->prev = h;
	h->next->prev = n;
	h->next = n;
}

/* list_add_tail(): insert @n before @h (at the tail). */
static inline void mlist_add_tail(struct mlist *n, struct mlist *h)
{
	mlist_add(n, h->prev);
}

static inline void mlist_del(struct mlist *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = n;
}

#define mlist_entry(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#endif
