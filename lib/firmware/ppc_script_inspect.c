/* SPDX-License-Identifier: MIT */
/* What a test reads back from the scriptable powerpc platform, and the failures it asks for. */
#include <errno.h>

#include "firmware/ppc_script.h"

uint64_t isim_ppc_script_calls(struct isim_ppc_fw *fw, enum isim_ppc_call kind)
{
	struct isim_ppc_script *s = isim_ppc_script_of(fw);
	uint64_t n;

	if (!s || (unsigned int)kind >= ISIM_PPC_CALL_NR)
		return 0;
	pthread_mutex_lock(&s->lock);
	n = s->ncalls[kind];
	pthread_mutex_unlock(&s->lock);
	return n;
}

size_t isim_ppc_script_log_len(struct isim_ppc_fw *fw)
{
	struct isim_ppc_script *s = isim_ppc_script_of(fw);
	size_t n;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	n = s->log_len;
	pthread_mutex_unlock(&s->lock);
	return n;
}

int isim_ppc_script_log_get(struct isim_ppc_fw *fw, size_t i, struct isim_ppc_call_rec *out)
{
	struct isim_ppc_script *s = isim_ppc_script_of(fw);
	int err = 0;

	if (!s)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	if (i < s->log_len)
		*out = s->log[i];
	else
		err = -ERANGE;
	pthread_mutex_unlock(&s->lock);
	return err;
}

void isim_ppc_script_log_clear(struct isim_ppc_fw *fw)
{
	struct isim_ppc_script *s = isim_ppc_script_of(fw);

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->log_len = 0;
	pthread_mutex_unlock(&s->lock);
}

size_t isim_ppc_script_log_count(struct isim_ppc_fw *fw, enum isim_ppc_call kind)
{
	struct isim_ppc_script *s = isim_ppc_script_of(fw);
	size_t n = 0;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->log_len; i++)
		n += s->log[i].kind == kind;
	pthread_mutex_unlock(&s->lock);
	return n;
}

uint64_t isim_ppc_script_tce(struct isim_ppc_fw *fw, uint32_t liobn, uint64_t ioba)
{
	struct isim_ppc_script *s = isim_ppc_script_of(fw);
	struct isim_script_window *w;
	uint64_t v = 0;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	w = isim_script_find(s, liobn);
	if (w && s->nslots)
		v = isim_script_lookup(s, liobn, ioba >> w->shift)->value;
	pthread_mutex_unlock(&s->lock);
	return v;
}

uint64_t isim_ppc_script_tce_count(struct isim_ppc_fw *fw, uint32_t liobn)
{
	struct isim_ppc_script *s = isim_ppc_script_of(fw);
	uint64_t n = 0;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	for (uint64_t i = 0; i < s->nslots; i++)
		n += s->slots[i].value && s->slots[i].liobn == liobn;
	pthread_mutex_unlock(&s->lock);
	return n;
}

uint64_t isim_ppc_script_tce_total(struct isim_ppc_fw *fw)
{
	struct isim_ppc_script *s = isim_ppc_script_of(fw);
	uint64_t n;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	n = s->used_slots;
	pthread_mutex_unlock(&s->lock);
	return n;
}

void isim_ppc_script_windows(struct isim_ppc_fw *fw, bool *default_present, unsigned int *ddws)
{
	struct isim_ppc_script *s = isim_ppc_script_of(fw);

	*default_present = false;
	*ddws = 0;
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	*default_present = s->cfg.default_liobn && isim_script_find(s, s->cfg.default_liobn);
	for (unsigned int i = 1; i < ISIM_SCRIPT_MAX_WINDOWS; i++)
		*ddws += s->win[i].used;
	pthread_mutex_unlock(&s->lock);
}

uint64_t isim_ppc_script_track_failures(struct isim_ppc_fw *fw)
{
	struct isim_ppc_script *s = isim_ppc_script_of(fw);
	uint64_t n;

	if (!s)
		return 0;
	pthread_mutex_lock(&s->lock);
	n = s->track_failures;
	pthread_mutex_unlock(&s->lock);
	return n;
}
