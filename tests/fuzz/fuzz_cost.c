/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the cost table's "KEY=VALUE" overrides and the scenario configuration.
 * The input is text lines. The first byte picks the mode and the scenario, the first line
 * (after that byte) names a platform, every further line is one override.
 *
 * Invariants:
 * - iommusim_cost_set(): a failed override leaves the whole table unchanged (values, cycles,
 *   origins, profile) and says why in one line; a successful one changes the value and
 *   origin of the one parameter named and nothing else but derived cycles (a change of
 *   cpu.freq_mhz moves every time parameter's cycles);
 * - iommusim_cost_configure() and iommusim_scenario_configure(): all or nothing (a failure
 *   leaves the table as it was, @bad names an override or is -1), and the same call twice
 *   gives the same table;
 * - every value stays inside its parameter's range, and nothing is left allocated.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <iommusim/iommusim.h>

#include "fuzz_common.h"

#define MAX_INPUT 4096
#define MAX_LINES 64

/* A copy of everything the public API shows of a table. */
struct snap {
	uint64_t value[IOMMUSIM_COST_NR];
	uint64_t cycles[IOMMUSIM_COST_NR];
	enum iommusim_cost_origin origin[IOMMUSIM_COST_NR];
	uint64_t work[IOMMUSIM_WORK_NR];
	const char *profile;
};

static bool timed(enum iommusim_cost_id id)
{
	enum iommusim_cost_unit u = iommusim_cost_param(id)->unit;

	return u == IOMMUSIM_COST_UNIT_NS || u == IOMMUSIM_COST_UNIT_MS ||
	       u == IOMMUSIM_COST_UNIT_CYCLES;
}

static void take(const struct iommusim_cost *c, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned int i = 0; i < IOMMUSIM_COST_NR; i++) {
		enum iommusim_cost_id id = (enum iommusim_cost_id)i;
		const struct iommusim_cost_param *p = iommusim_cost_param(id);

		s->value[i] = iommusim_cost_get(c, id);
		FUZZ_CHECK(s->value[i] >= p->min && s->value[i] <= p->max);
		s->cycles[i] = timed(id) ? iommusim_cost_cycles(c, id) : 0;
		s->origin[i] = iommusim_cost_origin(c, id);
	}
	for (unsigned int k = 0; k < IOMMUSIM_WORK_NR; k++)
		s->work[k] = iommusim_cost_work_cycles(c, (enum iommusim_work)k);
	s->profile = iommusim_cost_profile_name(c);
}

static bool same(const struct snap *a, const struct snap *b)
{
	return !memcmp(a->value, b->value, sizeof(a->value)) &&
	       !memcmp(a->cycles, b->cycles, sizeof(a->cycles)) &&
	       !memcmp(a->origin, b->origin, sizeof(a->origin)) &&
	       !memcmp(a->work, b->work, sizeof(a->work)) &&
	       (a->profile == b->profile ||
		(a->profile && b->profile && !strcmp(a->profile, b->profile)));
}

static void check_msg(const char *msg)
{
	FUZZ_CHECK(msg[0] != '\0' && strchr(msg, '\n') == NULL);
}

/* One override at a time, each checked against the table before it. */
static void one_by_one(struct iommusim_cost *c, char **lines, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct snap before, after;
		enum iommusim_cost_id id;
		const char *eq = strchr(lines[i], '=');
		char msg[512] = "";
		int err;

		take(c, &before);
		err = iommusim_cost_set(c, lines[i], msg, sizeof(msg));
		take(c, &after);
		if (err) {
			FUZZ_CHECK(err == -ENOENT || err == -EINVAL || err == -ERANGE);
			FUZZ_CHECK(same(&before, &after));
			check_msg(msg);
			continue;
		}
		FUZZ_CHECK(eq != NULL);
		{
			char key[512];
			size_t klen = (size_t)(eq - lines[i]);

			FUZZ_CHECK(klen < sizeof(key));
			memcpy(key, lines[i], klen);
			key[klen] = '\0';
			FUZZ_CHECK(iommusim_cost_lookup(key, &id) == 0);
		}
		FUZZ_CHECK(after.origin[id] == IOMMUSIM_COST_FROM_SET);
		for (unsigned int k = 0; k < IOMMUSIM_COST_NR; k++) {
			if (k == (unsigned int)id)
				continue;
			FUZZ_CHECK(after.value[k] == before.value[k]);
			FUZZ_CHECK(after.origin[k] == before.origin[k]);
			if (id != IOMMUSIM_COST_CPU_FREQ_MHZ)
				FUZZ_CHECK(after.cycles[k] == before.cycles[k]);
		}
	}
}

/* All at once, through a scenario (mode 1) or a profile (mode 2). */
static void all_at_once(struct iommusim_cost *c, unsigned int mode, unsigned int which,
			const char *platform, char **lines, size_t n)
{
	const char *const *sets = (const char *const *)lines;
	struct snap before, after, again;
	char msg[512] = "";
	long bad = -2;
	int err, err2;

	take(c, &before);
	if (mode == 1) {
		const struct iommusim_scenario *sc =
			iommusim_scenario_get(which % iommusim_scenario_count());

		FUZZ_CHECK(sc != NULL);
		err = iommusim_scenario_configure(sc, platform, c, sets, n, msg, sizeof(msg), &bad);
		take(c, &after);
		err2 = iommusim_scenario_configure(sc, platform, c, sets, n, NULL, 0, NULL);
	} else {
		err = iommusim_cost_configure(c, platform[0] ? platform : NULL, sets, n, msg,
					      sizeof(msg), &bad);
		take(c, &after);
		err2 = iommusim_cost_configure(c, platform[0] ? platform : NULL, sets, n, NULL, 0,
					       NULL);
	}
	take(c, &again);
	FUZZ_CHECK(err2 == err);
	FUZZ_CHECK(bad >= -1 && bad < (long)n);
	if (err) {
		FUZZ_CHECK(same(&before, &after));
		FUZZ_CHECK(same(&before, &again));
		check_msg(msg);
	} else {
		FUZZ_CHECK(bad == -1);
		FUZZ_CHECK(same(&after, &again));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iommusim_mem *mem;
	struct iommusim_cost *c;
	char *text, *lines[MAX_LINES], *platform, *p;
	unsigned int mode, which;
	size_t n = 0;

	if (size < 1 || size > MAX_INPUT)
		return -1;
	mode = data[0] % 3;
	which = data[0] / 3;
	/* Lines as C strings: a NUL byte ends its line early, as it would in argv. */
	text = malloc(size);
	FUZZ_CHECK(text != NULL);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	platform = text;
	p = strchr(text, '\n');
	while (p && n < MAX_LINES) {
		*p++ = '\0';
		lines[n++] = p;
		p = strchr(p, '\n');
	}
	if (p)
		*p = '\0';

	FUZZ_CHECK(!iommusim_mem_create(IOMMUSIM_MEM_LIBC, &mem));
	FUZZ_CHECK(!iommusim_cost_create(mem, &c));
	/* Start from a profile when the first line names one, as compare does. */
	(void)iommusim_cost_apply_profile(c, platform, NULL, 0);
	if (mode == 0)
		one_by_one(c, lines, n);
	else
		all_at_once(c, mode, which, platform, lines, n);
	iommusim_cost_destroy(c);
	FUZZ_CHECK(iommusim_mem_live_objects(mem) == 0);
	iommusim_mem_destroy(mem);
	free(text);
	return 0;
}
