/* SPDX-License-Identifier: MIT */
/* Everything iova.c needs from <linux/cpu.h> is in kshim.h. */
#include "kshim.h"
