/* SPDX-License-Identifier: MIT */
/*
 * The layout stage: model (the machine at the current step) + UI state ->
 * draw list. Pure and SDL-free: the same inputs give the same list.
 */
#ifndef MSC_VIZ_LAYOUT_H
#define MSC_VIZ_LAYOUT_H

#include "viz/draw.h"
#include "viz/model.h"

enum viz_panel {
	VIZ_P_CPU,
	VIZ_P_STEPS,
	VIZ_P_GPT, /* the guest page-table tree */
	VIZ_P_SPT, /* shadow / TDP pages */
	VIZ_P_HASH,
	VIZ_P_ROOTS,
	VIZ_P_TLB,
	VIZ_P_STATS,
	VIZ_P_EVENTS,
	VIZ_P_KEYS, /* the key-map footer */
	VIZ_P_COUNT,
};
const char *viz_panel_name(enum viz_panel p);

#define VIZ_MAX_TOGGLES 256u

/* Everything the user changes; plain data. */
struct viz_ui {
	s32 w, h; /* window size in pixels */
	u16 zoom; /* percent: 50..300 */
	u16 vcpu; /* the vCPU whose CPU-dependent panels are shown */
	u32 panels; /* BIT(enum viz_panel): shown */
	s32 scroll[VIZ_P_COUNT]; /* rows scrolled (may be negative for the steps list) */
	s32 hover_bucket, sel_bucket; /* -1: none */
	/* tree nodes whose default expansion is flipped: guest entry addresses
	 * (guest tree), SP hpas (shadow tree) */
	u64 gpt_toggle[VIZ_MAX_TOGGLES];
	u32 ngpt;
	u64 sp_toggle[VIZ_MAX_TOGGLES];
	u32 nsp;
	u8 next_kind; /* enum viz_evk: what N runs to */
	bool running; /* R: run to the end */
	bool goto_active; /* G typed: digits follow */
	char goto_buf[12];
	char status[96]; /* one line for the header (timeline, last action) */
};

/* Defaults: every panel shown, zoom 100 %, nothing selected. */
void viz_ui_init(struct viz_ui *ui, s32 w, s32 h);
/* Flip @key in a toggle set; false when the set is full. */
bool viz_ui_toggle(u64 *set, u32 *n, u64 key);
bool viz_ui_toggled(const u64 *set, u32 n, u64 key);
/* The font size in pixels for the UI's zoom. */
u8 viz_ui_font(const struct viz_ui *ui);

/* Lay the frame out into @dl (emptied first). */
void viz_layout(const struct viz_model *m, const struct viz_ui *ui, struct viz_dl *dl);

/* One-line summary of a step's op ("access read 0x401000 cpl 3"). */
void viz_step_summary(const struct scn_step *st, char *buf, size_t n);

#endif
