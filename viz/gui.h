/* SPDX-License-Identifier: MIT */
/* The interactive window (SDL2): input mapped to commands in one switch. */
#ifndef MSC_VIZ_GUI_H
#define MSC_VIZ_GUI_H

#include "viz/session.h"

/*
 * Open a resizable @w x @h window on @vs and run until closed. With
 * $MMUSCOPE_GUI_TRACE set, append one line per handled input to that file:
 * the input, then the resulting state and the draw list's hash. Returns 0;
 * MSC_EIO when there is no display or SDL fails (@why says so), MSC_ENOENT
 * when the font is missing.
 */
int viz_gui_run(struct viz_session *vs, s32 w, s32 h, char *why, size_t n) MSC_MUST_CHECK;

#endif
