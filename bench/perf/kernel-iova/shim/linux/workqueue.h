/* SPDX-License-Identifier: MIT */
/* Everything iova.c needs from <linux/workqueue.h> is in kshim.h. */
#include "kshim.h"
