/* SPDX-License-Identifier: MIT */
/*
 * Library error codes: 0 or a negative value from one X-macro list (house-style
 * rule 8). Guest-architectural faults are data, never one of these.
 */
#ifndef MSC_CPU_ERR_H
#define MSC_CPU_ERR_H

/* X(name, value, message) */
#define MSC_ERR_MAP(X)                                        \
	X(OK, 0, "success")                                   \
	X(EINVAL, -1, "invalid argument")                     \
	X(ENOMEM, -2, "out of memory")                        \
	X(EEXIST, -3, "already exists")                       \
	X(ENOENT, -4, "no such object")                       \
	X(EOVERLAP, -5, "range overlaps an existing memslot") \
	X(ERANGE, -6, "value out of range")                   \
	X(ENOSPC, -7, "no space left")                        \
	X(EOPNOTSUPP, -8, "operation not supported")          \
	X(EFAULT, -9, "address not backed by memory")         \
	X(EIO, -10, "input/output error")                     \
	X(E2BIG, -11, "size exceeds the configured bound")

enum msc_err {
#define MSC_ERR_ENUM(name, val, msg) MSC_##name = (val),
	MSC_ERR_MAP(MSC_ERR_ENUM)
#undef MSC_ERR_ENUM
};

/* Human-readable message for an error code; never NULL. */
const char *msc_strerror(int err);
/* The symbolic name ("EINVAL") of an error code; never NULL. */
const char *msc_err_name(int err);

#endif
