/* SPDX-License-Identifier: MIT */
/* Error strings for the negative errno values the library returns. */
#include <errno.h>
#include <iommusim/error.h>

const char *iommusim_strerror(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return "success";
	case EINVAL:
		return "invalid argument";
	case ENOMEM:
		return "out of memory or address space";
	case ENOENT:
		return "no such range";
	case ENOTSUP:
		return "not supported by this build";
	case EIO:
		return "I/O error";
	case ENOSPC:
		return "no space left";
	case EBUSY:
		return "busy";
	case ERANGE:
		return "value out of range";
	case EEXIST:
		return "already exists";
	case EFAULT:
		return "address outside the aperture";
	default:
		return "unknown error";
	}
}
