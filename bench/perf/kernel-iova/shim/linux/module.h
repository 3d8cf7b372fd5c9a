/* SPDX-License-Identifier: MIT */
/* Everything iova.c needs from <linux/module.h> is in kshim.h. */
#include "kshim.h"
