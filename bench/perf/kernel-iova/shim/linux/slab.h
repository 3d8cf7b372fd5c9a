/* SPDX-License-Identifier: MIT */
/* Everything iova.c needs from <linux/slab.h> is in kshim.h. */
#include "kshim.h"
