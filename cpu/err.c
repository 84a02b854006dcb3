/* SPDX-License-Identifier: MIT */
/* Error-code names and messages generated from MSC_ERR_MAP. */
#include "cpu/err.h"

const char *msc_strerror(int err)
{
	switch (err) {
#define MSC_ERR_MSG(name, val, msg) \
	case (val):                 \
		return (msg);
		MSC_ERR_MAP(MSC_ERR_MSG)
#undef MSC_ERR_MSG
	default:
		return "unknown error";
	}
}

const char *msc_err_name(int err)
{
	switch (err) {
#define MSC_ERR_NAME(name, val, msg) \
	case (val):                  \
		return #name;
		MSC_ERR_MAP(MSC_ERR_NAME)
#undef MSC_ERR_NAME
	default:
		return "E?";
	}
}
