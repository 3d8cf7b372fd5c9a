/* SPDX-License-Identifier: MIT */
/* Everything iova.c needs from <linux/smp.h> is in kshim.h. */
#include "kshim.h"
