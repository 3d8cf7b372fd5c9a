/* SPDX-License-Identifier: MIT */
/*
 * Timed FIFO servers. A server remembers the busy stretches it has handed out that end after
 * now, in time order and disjoint, merged where they touch. A request takes the earliest idle
 * stretch at or after its arrival that is long enough. With calls in arrival order the
 * bookings form one stretch that keeps growing, and that rule is plain FIFO; the list only
 * matters when a CPU whose own clock is behind another's asks after it.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "base/memory.h"
#include "engine/engine_internal.h"

/*
 * Disjoint future stretches kept per server. Beyond this the two closest are joined and the
 * idle gap between them is lost to later requests: a bounded, deterministic approximation
 * that needs no allocation when a request is made.
 */
#define BOOKINGS 32
#define NAME_LEN 32

struct iommusim_server {
	struct iommusim_engine *e;
	struct iommusim_server *next;
	struct iommusim_server **pprev;
	char name[NAME_LEN];
	unsigned int nb;
	/* One spare entry so an insertion can happen before the closest pair is joined. */
	uint64_t bstart[BOOKINGS + 1];
	uint64_t bend[BOOKINGS + 1];
	struct iommusim_server_stats st;
};

int iommusim_engine_server_create(struct iommusim_engine *e, const char *name,
				  struct iommusim_server **out)
{
	struct iommusim_server *s = isim_zalloc(e->mem, sizeof(*s), 0);
	size_t len = name ? strlen(name) : 0;

	if (!s)
		return -ENOMEM;
	s->e = e;
	if (len >= NAME_LEN)
		len = NAME_LEN - 1;
	if (len)
		memcpy(s->name, name, len);
	s->next = e->servers;
	if (s->next)
		s->next->pprev = &s->next;
	s->pprev = &e->servers;
	e->servers = s;
	*out = s;
	return 0;
}

void iommusim_engine_server_destroy(struct iommusim_server *s)
{
	if (!s)
		return;
	*s->pprev = s->next;
	if (s->next)
		s->next->pprev = s->pprev;
	isim_free(s->e->mem, s, sizeof(*s), 0);
}

void isim_engine_servers_destroy(struct iommusim_engine *e)
{
	while (e->servers)
		iommusim_engine_server_destroy(e->servers);
}

const char *iommusim_engine_server_name(const struct iommusim_server *s)
{
	return s->name;
}

static void drop(struct iommusim_server *s, unsigned int i, unsigned int n)
{
	unsigned int rest = s->nb - i - n;

	/* A server busy in one stretch, the usual case, has nothing to move. */
	if (rest) {
		memmove(&s->bstart[i], &s->bstart[i + n], rest * sizeof(s->bstart[0]));
		memmove(&s->bend[i], &s->bend[i + n], rest * sizeof(s->bend[0]));
	}
	s->nb -= n;
}

/* Forget stretches over by @now: no request can arrive before now. */
static void prune(struct iommusim_server *s, uint64_t now)
{
	unsigned int n = 0;

	while (n < s->nb && s->bend[n] <= now)
		n++;
	if (n)
		drop(s, 0, n);
}

/* Join the two stretches with the smallest gap between them (the earliest pair on a tie). */
static void join_closest(struct iommusim_server *s)
{
	unsigned int best = 1;

	for (unsigned int j = 2; j < s->nb; j++)
		if (s->bstart[j] - s->bend[j - 1] < s->bstart[best] - s->bend[best - 1])
			best = j;
	s->bend[best - 1] = s->bend[best];
	drop(s, best, 1);
}

/* Record [@st, @en) as stretch @i: every stretch before @i ends by @st, any at @i starts after. */
static void book(struct iommusim_server *s, unsigned int i, uint64_t st, uint64_t en)
{
	bool left = i > 0 && s->bend[i - 1] == st;
	bool right = i < s->nb && s->bstart[i] == en;

	if (left && right) {
		s->bend[i - 1] = s->bend[i];
		drop(s, i, 1);
	} else if (left) {
		s->bend[i - 1] = en;
	} else if (right) {
		s->bstart[i] = st;
	} else {
		unsigned int rest = s->nb - i;

		if (rest) {
			memmove(&s->bstart[i + 1], &s->bstart[i], rest * sizeof(s->bstart[0]));
			memmove(&s->bend[i + 1], &s->bend[i], rest * sizeof(s->bend[0]));
		}
		s->bstart[i] = st;
		s->bend[i] = en;
		if (++s->nb > BOOKINGS)
			join_closest(s);
	}
}

uint64_t iommusim_engine_server_use(struct iommusim_engine *e, struct iommusim_server *s,
				    struct iommusim_cpu *cpu, uint64_t arrival, uint64_t service,
				    uint64_t *start, uint64_t *end)
{
	uint64_t st, en, wait;
	unsigned int i;

	assert(s->e == e && "server of another engine");
	assert(arrival >= e->now && "request arriving in the past");
	if (arrival < e->now)
		arrival = e->now;
	prune(s, e->now);
	st = arrival;
	for (i = 0; i < s->nb; i++) {
		if (s->bend[i] <= st)
			continue;
		if (s->bstart[i] >= st + service)
			break;
		st = s->bend[i];
	}
	en = st + service;
	if (service)
		book(s, i, st, en);

	wait = st - arrival;
	s->st.requests++;
	s->st.busy += service;
	if (wait) {
		s->st.waited++;
		s->st.wait_total += wait;
		if (wait > s->st.wait_max)
			s->st.wait_max = wait;
	}
	if (cpu)
		iommusim_engine_cpu_advance(e, cpu, en);
	if (start)
		*start = st;
	if (end)
		*end = en;
	return wait;
}

void iommusim_engine_server_stats(const struct iommusim_server *s,
				  struct iommusim_server_stats *out)
{
	*out = s->st;
}

void iommusim_engine_server_reset_stats(struct iommusim_server *s, uint64_t since)
{
	s->st = (struct iommusim_server_stats){.since = since};
}

double iommusim_engine_server_utilisation(const struct iommusim_server *s, uint64_t until)
{
	if (until <= s->st.since)
		return 0.0;
	return (double)s->st.busy / (double)(until - s->st.since);
}
