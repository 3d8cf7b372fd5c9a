/* SPDX-License-Identifier: MIT */
/*
 * One line of the kernel's trace text (docs/traces.md, "What the kernel prints"):
 *
 *   TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: FIELDS      /sys/kernel/tracing/trace
 *   TASK-PID [CPU] TIMESTAMP: EVENT: FIELDS            trace-cmd report
 *
 * FIELDS are the event's TP_printk: for the dma events the device's name, then KEY=VALUE
 * words (dir=, dma_addr=, size=, the scatterlists' {0x..,0x..} arrays, " [TRUNCATED]"); for
 * the IOMMU core's map and unmap "IOMMU: iova=0x... - 0x... ...". A task's name may hold
 * blanks and brackets, so the line is read from its "[CPU]" on.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <iommusim/device.h>
#include <iommusim/trace.h>

#include "workload/script_io.h"
#include "workload/script_lex.h"
#include "workload/trace_ftrace_impl.h"

/* The words of a line's fields; more than the newest event prints, for later kernels' additions. */
#define MAX_WORDS 24
/* DMA_MAPPING_ERROR: what a failed dma_map_page() returns, and the event prints. */
#define DMA_ERROR_ADDR UINT64_MAX

struct words {
	const char *w[MAX_WORDS];
	size_t len[MAX_WORDS];
	size_t n;
};

static const struct {
	const char *name;
	enum ftrace_kind kind;
} events[] = {
	{"dma_map_page", FT_MAP},
	{"dma_map_resource", FT_MAP},
	{"dma_map_phys", FT_MAP},
	{"dma_unmap_page", FT_UNMAP},
	{"dma_unmap_resource", FT_UNMAP},
	{"dma_unmap_phys", FT_UNMAP},
	{"dma_map_sg", FT_MAP_SG},
	{"dma_unmap_sg", FT_UNMAP_SG},
	{"dma_alloc", FT_ALLOC},
	{"dma_alloc_pages", FT_ALLOC},
	{"dma_alloc_sgt", FT_ALLOC},
	{"dma_free", FT_FREE},
	{"dma_free_pages", FT_FREE},
	{"dma_free_sgt", FT_FREE},
	{"dma_map_sg_err", FT_SKIP},
	{"dma_alloc_sgt_err", FT_SKIP},
	{"dma_sync_single_for_cpu", FT_SKIP},
	{"dma_sync_single_for_device", FT_SKIP},
	{"dma_sync_sg_for_cpu", FT_SKIP},
	{"dma_sync_sg_for_device", FT_SKIP},
	/* the IOMMU core's (include/trace/events/iommu.h), below the DMA API: checked only */
	{"map", FT_SKIP},
	{"unmap", FT_SKIP},
};

static const char *const dirs[] = {
	[IOMMUSIM_DMA_BIDIRECTIONAL] = "BIDIRECTIONAL",
	[IOMMUSIM_DMA_TO_DEVICE] = "TO_DEVICE",
	[IOMMUSIM_DMA_FROM_DEVICE] = "FROM_DEVICE",
	[IOMMUSIM_DMA_NONE] = "NONE",
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_digit(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* [s, s + len) as a number in @base (a "0x" first for 16 when @prefix); false if it is none. */
static bool parse_num(const char *s, size_t len, unsigned int base, bool prefix, uint64_t *out)
{
	uint64_t v = 0;

	if (prefix) {
		if (len < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
			return false;
		s += 2;
		len -= 2;
	}
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		int d = base == 16 ? hex_digit(s[i]) : (is_digit(s[i]) ? s[i] - '0' : -1);

		if (d < 0 || __builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, (uint64_t)d, &v))
			return false;
	}
	*out = v;
	return true;
}

/* "SECONDS.FRACTION" (up to 9 decimals: trace-cmd's -t gives ns, the trace file µs) in ns. */
static bool parse_time(const char *s, size_t len, uint64_t *ns)
{
	const char *dot = memchr(s, '.', len);
	uint64_t sec, frac = 0;
	size_t fl;

	if (!dot || !parse_num(s, (size_t)(dot - s), 10, false, &sec))
		return false;
	fl = len - (size_t)(dot - s) - 1;
	if (fl == 0 || fl > 9 || !parse_num(dot + 1, fl, 10, false, &frac))
		return false;
	for (size_t i = fl; i < 9; i++)
		frac *= 10;
	return !__builtin_mul_overflow(sec, 1000000000ull, ns) &&
	       !__builtin_add_overflow(*ns, frac, ns);
}

static const char *skip_blanks(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

static const char *word_end(const char *s, const char *end)
{
	while (s < end && *s != ' ' && *s != '\t')
		s++;
	return s;
}

/* The "[CPU]" that follows the task: the first bracket of digits after a blank. */
static const char *find_cpu(const char *s, const char *end, uint32_t *cpu)
{
	for (const char *b = s; (b = memchr(b, '[', (size_t)(end - b))) != NULL; b++) {
		const char *d = b + 1;
		uint64_t v;

		if (b == s || (b[-1] != ' ' && b[-1] != '\t'))
			continue;
		while (d < end && is_digit(*d))
			d++;
		if (d == b + 1 || d == end || *d != ']' ||
		    !parse_num(b + 1, (size_t)(d - b - 1), 10, false, &v) || v > UINT32_MAX)
			continue;
		*cpu = (uint32_t)v;
		return d + 1;
	}
	return NULL;
}

/* Does [@s, @end) begin with @prefix? Lines are not NUL-terminated: never read past @end. */
static bool starts(const char *s, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(end - s) >= n && !memcmp(s, prefix, n);
}

/* Lines that are not events: headers and comments, and the kernel's note of lost events. */
static void not_event(const char *s, const char *end, struct ftrace_event *ev)
{
	static const char *const heads[] = {"version = ", "cpus=", "CPU "};
	const char *t = skip_blanks(s, end), *lost;
	size_t len = (size_t)(end - t);

	ev->kind = FT_OTHER;
	if (t == end || *t == '#') {
		ev->kind = FT_HEADER;
		return;
	}
	/* "CPU:2 [LOST 17 EVENTS]" (the trace file), "CPU:2 [17 EVENTS DROPPED]" (trace-cmd) */
	lost = memchr(t, '[', len);
	if (lost && starts(t, end, "CPU:")) {
		const char *n = lost + 1 + (starts(lost + 1, end, "LOST ") ? 5 : 0), *e = n;

		while (e < end && is_digit(*e))
			e++;
		if (e > n && parse_num(n, (size_t)(e - n), 10, false, &ev->lost)) {
			ev->kind = FT_LOST;
			return;
		}
	}
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
		if (starts(t, end, heads[i]))
			ev->kind = FT_HEADER;
}

static void split(const char *s, const char *end, struct words *w)
{
	w->n = 0;
	for (s = skip_blanks(s, end); s < end && w->n < MAX_WORDS; s = skip_blanks(s, end)) {
		const char *e = word_end(s, end);

		w->w[w->n] = s;
		w->len[w->n++] = (size_t)(e - s);
		s = e;
	}
}

/* The value of KEY= among @w's words from @from on, or NULL. */
static const char *value(const struct words *w, size_t from, const char *key, size_t *len)
{
	size_t kl = strlen(key);

	for (size_t i = from; i < w->n; i++)
		if (w->len[i] > kl && w->w[i][kl] == '=' && !memcmp(w->w[i], key, kl)) {
			*len = w->len[i] - kl - 1;
			return w->w[i] + kl + 1;
		}
	return NULL;
}

static int need_num(const struct isim_script_lines *c, const struct words *w, const char *key,
		    unsigned int base, bool prefix, uint64_t *out)
{
	char shown[ISIM_SCRIPT_SHOWN_SIZE];
	size_t len;
	const char *v = value(w, 1, key, &len);

	if (!v)
		return isim_script_fail(c, key, "missing");
	if (!parse_num(v, len, base, prefix, out))
		return isim_script_fail(c, key, "not a %s number: '%s'",
					base == 16 ? "hexadecimal" : "decimal",
					isim_script_escaped(shown, sizeof(shown), v, len, 32));
	return 0;
}

/* dir=NAME; maps need one that is a direction (NONE is none). */
static int get_dir(const struct isim_script_lines *c, const struct words *w,
		   struct ftrace_event *ev)
{
	char shown[ISIM_SCRIPT_SHOWN_SIZE];
	size_t len;
	const char *v = value(w, 1, "dir", &len);

	ev->dir = IOMMUSIM_DMA_BIDIRECTIONAL;
	ev->dir_given = v != NULL;
	if (!v)
		return 0;
	for (unsigned int d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++)
		if (len == strlen(dirs[d]) && !memcmp(v, dirs[d], len)) {
			if (d == IOMMUSIM_DMA_NONE && ev->kind != FT_ALLOC && ev->kind != FT_FREE)
				return isim_script_fail(c, "dir", "NONE is no direction to map in");
			ev->dir = (uint8_t)d;
			return 0;
		}
	return isim_script_fail(c, "dir", "unknown direction '%s'",
				isim_script_escaped(shown, sizeof(shown), v, len, 32));
}

/*
 * An array as __print_array() prints it: "{0x1000,0x2000}", "{}". Its entries' count, first
 * entry and sum (which must not overflow).
 */
static int need_array(const struct isim_script_lines *c, const struct words *w, const char *key,
		      uint64_t *count, uint64_t *first, uint64_t *sum)
{
	char shown[ISIM_SCRIPT_SHOWN_SIZE];
	size_t len;
	const char *v = value(w, 1, key, &len), *p, *e;

	if (!v)
		return isim_script_fail(c, key, "missing");
	if (len < 2 || v[0] != '{' || v[len - 1] != '}')
		return isim_script_fail(c, key, "not a {...} list: '%s'",
					isim_script_escaped(shown, sizeof(shown), v, len, 32));
	*count = *first = *sum = 0;
	for (p = v + 1, e = v + len - 1; p < e;) {
		const char *q = memchr(p, ',', (size_t)(e - p));
		uint64_t x;

		if (!q)
			q = e;
		if (!parse_num(p, (size_t)(q - p), 16, true, &x) ||
		    __builtin_add_overflow(*sum, x, sum))
			return isim_script_fail(
				c, key, "entry %llu is not a 0x number: '%s'",
				(unsigned long long)*count + 1,
				isim_script_escaped(shown, sizeof(shown), p, (size_t)(q - p), 32));
		if (!*count)
			*first = x;
		++*count;
		p = q < e ? q + 1 : q;
	}
	return 0;
}

/* "nents=A/B": A entries printed of B (newer kernels; older ones print every entry). */
static int printed_of(const struct isim_script_lines *c, const struct words *w, const char *key,
		      uint64_t printed, uint64_t *full)
{
	size_t len;
	const char *v = value(w, 1, key, &len), *slash;
	uint64_t a;

	*full = printed;
	if (!v)
		return 0;
	slash = memchr(v, '/', len);
	if (!slash || !parse_num(v, (size_t)(slash - v), 10, false, &a) ||
	    !parse_num(slash + 1, len - (size_t)(slash - v) - 1, 10, false, full) || a > *full)
		return isim_script_fail(c, key, "not PRINTED/ALL");
	if (a != printed)
		return isim_script_fail(c, key, "%llu printed, but the list has %llu",
					(unsigned long long)a, (unsigned long long)printed);
	return 0;
}

/* @v * @num / @den without overflow in between (at most UINT64_MAX). */
static uint64_t scale(uint64_t v, uint64_t num, uint64_t den)
{
	__extension__ typedef unsigned __int128 u128;
	u128 q = (u128)v * num / den;

	return q > UINT64_MAX ? UINT64_MAX : (uint64_t)q;
}

/* dma_map_sg: its bytes (scaled up when the kernel cut the list), entries, first page. */
static int map_sg(const struct isim_script_lines *c, const struct words *w, struct ftrace_event *ev)
{
	uint64_t nd, ns, np, first, sum, nents, ents, unused;
	int err;

	if ((err = need_array(c, w, "dma_addrs", &nd, &first, &unused)) ||
	    (err = need_array(c, w, "sizes", &ns, &first, &sum)) ||
	    (err = need_array(c, w, "phys_addrs", &np, &ev->key, &unused)) ||
	    (err = printed_of(c, w, "nents", np, &nents)) ||
	    (err = printed_of(c, w, "ents", nd, &ents)))
		return err;
	if (nd != ns)
		return isim_script_fail(c, "sizes", "%llu sizes for %llu dma_addrs",
					(unsigned long long)ns, (unsigned long long)nd);
	if (np == 0 || nd == 0 || sum == 0)
		return isim_script_fail(c, np ? "sizes" : "phys_addrs", "an empty mapping");
	if (nents > IOMMUSIM_TRACE_MAX_SEGS)
		return isim_script_fail(c, "nents", "%llu entries, more than %u",
					(unsigned long long)nents, IOMMUSIM_TRACE_MAX_SEGS);
	ev->truncated = nents > np || ents > nd;
	/* the segments the kernel did not print are taken to be as long as those it did */
	ev->bytes = ents > nd ? scale(sum, ents, nd) : sum;
	ev->segs = (uint32_t)nents;
	return 0;
}

/* The fields of a dma event of a kind the import keeps. */
static int dma_fields(const struct isim_script_lines *c, const struct words *w,
		      struct ftrace_event *ev)
{
	uint64_t n, unused;
	int err;

	if (w->n == 0 || memchr(w->w[0], '=', w->len[0]))
		return isim_script_fail(c, "device", "missing");
	ev->dev = w->w[0];
	ev->dev_len = w->len[0];
	/* a name the trace format can hold: no control bytes (the blanks split the words) */
	for (size_t i = 0; i < ev->dev_len; i++)
		if ((unsigned char)ev->dev[i] < ' ' || ev->dev[i] == 0x7f) {
			char shown[ISIM_SCRIPT_SHOWN_SIZE];

			return isim_script_fail(
				c, "device", "not a name: '%s'",
				isim_script_shown(shown, sizeof(shown), ev->dev, ev->dev_len));
		}
	ev->segs = 1;
	err = get_dir(c, w, ev);
	if (!err && !ev->dir_given && ev->kind != FT_ALLOC && ev->kind != FT_FREE &&
	    ev->kind != FT_SKIP)
		err = isim_script_fail(c, "dir", "missing");
	if (err)
		return err;
	switch (ev->kind) {
	case FT_MAP:
	case FT_UNMAP:
	case FT_ALLOC:
	case FT_FREE:
		if ((err = need_num(c, w, "dma_addr", 16, false, &ev->key)) ||
		    (err = need_num(c, w, "size", 10, false, &ev->bytes)))
			return err;
		if (ev->bytes == 0)
			return isim_script_fail(c, "size", "must not be 0");
		/* a map to the error address, an allocation that returned nothing */
		ev->failed = (ev->kind == FT_MAP && ev->key == DMA_ERROR_ADDR) ||
			     (ev->kind == FT_ALLOC && ev->key == 0);
		return 0;
	case FT_MAP_SG:
		return map_sg(c, w, ev);
	case FT_UNMAP_SG:
		err = need_array(c, w, "phys_addrs", &n, &ev->key, &unused);
		if (!err && n == 0)
			err = isim_script_fail(c, "phys_addrs", "an empty list");
		return err;
	default:
		return 0;
	}
}

/* iommu:map "IOMMU: iova=0x... [- 0x...] paddr=0x... size=N", unmap "... size=N unmapped_size=N" */
static int iommu_fields(const struct isim_script_lines *c, const struct words *w,
			struct ftrace_event *ev)
{
	uint64_t v;
	int err;

	if (w->n == 0 || w->len[0] != 6 || memcmp(w->w[0], "IOMMU:", 6))
		return isim_script_fail(c, "IOMMU", "the fields of iommu:%.*s must start 'IOMMU:'",
					(int)ev->name_len, ev->name);
	if ((err = need_num(c, w, "iova", 16, true, &v)) ||
	    (err = need_num(c, w, "size", 10, false, &v)))
		return err;
	if (ev->name_len == 3)
		return need_num(c, w, "paddr", 16, true, &v);
	return need_num(c, w, "unmapped_size", 10, false, &v);
}

int isim_ftrace_line(const struct isim_script_lines *c, const char *s, const char *end,
		     struct ftrace_event *ev)
{
	const char *p, *e, *colon;
	struct words w;

	memset(ev, 0, sizeof(*ev));
	p = find_cpu(s, end, &ev->cpu);
	if (!p) {
		not_event(s, end, ev);
		return 0;
	}
	ev->kind = FT_OTHER;
	/* the flags ("d..1.") when present, then the timestamp and its colon */
	p = skip_blanks(p, end);
	e = word_end(p, end);
	if (e > p && e[-1] != ':') {
		p = skip_blanks(e, end);
		e = word_end(p, end);
	}
	if (e == p || e[-1] != ':' || !parse_time(p, (size_t)(e - p - 1), &ev->time_ns))
		return 0;
	p = skip_blanks(e, end);
	e = word_end(p, end);
	if (e - p < 2 || e[-1] != ':')
		return 0;
	/* "dma:dma_map_page:" names its system too; the name is what follows it */
	ev->name = p;
	ev->name_len = (size_t)(e - p - 1);
	colon = memchr(p, ':', ev->name_len);
	if (colon) {
		ev->name_len -= (size_t)(colon + 1 - p);
		ev->name = colon + 1;
	}
	ev->kind = FT_UNKNOWN;
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (ev->name_len == strlen(events[i].name) &&
		    !memcmp(ev->name, events[i].name, ev->name_len))
			ev->kind = events[i].kind;
	if (ev->kind == FT_UNKNOWN)
		return 0;
	split(e, end, &w);
	if (ev->name[0] != 'd')
		return iommu_fields(c, &w, ev);
	return dma_fields(c, &w, ev);
}
