/* SPDX-License-Identifier: MIT */
/* Everything iova.c needs from <linux/kmemleak.h> is in kshim.h. */
#include "kshim.h"
