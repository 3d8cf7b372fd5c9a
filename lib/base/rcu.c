/* SPDX-License-Identifier: MIT */
/* Lazy registration of reader threads with urcu-memb. */
#include <pthread.h>
#include <stdbool.h>

#include "base/rcu.h"

static pthread_key_t reader_key;
static pthread_once_t reader_key_once = PTHREAD_ONCE_INIT;
static _Thread_local bool registered;

static void reader_exit(void *unused)
{
	(void)unused;
	if (registered) {
		urcu_memb_unregister_thread();
		registered = false;
	}
}

static void reader_key_create(void)
{
	pthread_key_create(&reader_key, reader_exit);
}

void isim_rcu_register_self(void)
{
	if (registered)
		return;
	pthread_once(&reader_key_once, reader_key_create);
	urcu_memb_register_thread();
	registered = true;
	/* Any non-NULL value makes the destructor run at thread exit. */
	pthread_setspecific(reader_key, &registered);
}

#ifdef ISIM_TSAN
/* What every read-side unlock releases and every grace period acquires (rcu.h). */
char isim_rcu_gp_token;
#endif

void isim_rcu_synchronize(void)
{
	/* A registered thread must not be inside a read-side section here; it is not. */
	urcu_memb_synchronize_rcu();
	isim_tsan_acquire(&isim_rcu_gp_token);
}
