/* SPDX-License-Identifier: MIT */
/* Everything iova.c needs from <linux/bitops.h> is in kshim.h. */
#include "kshim.h"
