/* SPDX-License-Identifier: MIT */
/*
 * A recorded DMA trace (trace.h) and its text form (docs/traces.md, "The format"): built call
 * by call, each call checked as it comes (time order, pairing), so that a trace read from a
 * file, imported from ftrace or recorded by a simulation obeys the same rules, and a replay
 * can trust every buffer it unmaps to be mapped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <iommusim/device.h>
#include <iommusim/trace.h>

#include "base/memory.h"
#include "workload/script_io.h"
#include "workload/script_lex.h"
#include "workload/script_replay.h"
#include "workload/trace_live.h"

#define DEVICE_MAX 256

struct iommusim_trace {
	struct iommusim_mem *mem;
	char device[DEVICE_MAX];
	struct iommusim_trace_rec *rec;
	size_t n, cap;
	/* the buffers live after the last call: number -> index of the call that mapped it */
	struct isim_live live;
	uint64_t maps, unmaps;
	uint32_t cpus;
};

static const char *const op_names[IOMMUSIM_TRACE_OP_NR] = {
	[IOMMUSIM_TRACE_MAP] = "map",	    [IOMMUSIM_TRACE_UNMAP] = "unmap",
	[IOMMUSIM_TRACE_MAP_SG] = "map_sg", [IOMMUSIM_TRACE_UNMAP_SG] = "unmap_sg",
	[IOMMUSIM_TRACE_ALLOC] = "alloc",   [IOMMUSIM_TRACE_FREE] = "free",
};

/* The format's direction names, by enum iommusim_dma_dir (NONE is no direction a map has). */
static const char *const dir_names[] = {"bidi", "to", "from"};
#define NR_DIRS 3u

const char *iommusim_trace_op_name(enum iommusim_trace_op op)
{
	return (unsigned int)op < IOMMUSIM_TRACE_OP_NR ? op_names[op] : NULL;
}

/* A map, map_sg or alloc starts a buffer's life; the others end one. */
static bool starts(unsigned int op)
{
	return op == IOMMUSIM_TRACE_MAP || op == IOMMUSIM_TRACE_MAP_SG ||
	       op == IOMMUSIM_TRACE_ALLOC;
}

static bool device_ok(const char *d)
{
	if (strlen(d) >= DEVICE_MAX)
		return false;
	for (; *d; d++)
		if ((unsigned char)*d <= ' ' || *d == 0x7f)
			return false;
	return true;
}

int iommusim_trace_create(struct iommusim_mem *mem, const char *device, struct iommusim_trace **out)
{
	struct iommusim_trace *t;

	if (device && !device_ok(device))
		return -EINVAL;
	t = isim_zalloc(mem, sizeof(*t), 0);
	if (!t)
		return -ENOMEM;
	t->mem = mem;
	if (device)
		strcpy(t->device, device);
	isim_live_init(&t->live, mem);
	*out = t;
	return 0;
}

void iommusim_trace_destroy(struct iommusim_trace *t)
{
	if (!t)
		return;
	isim_live_free(&t->live);
	if (t->rec)
		isim_free(t->mem, t->rec, t->cap * sizeof(*t->rec), 0);
	isim_free(t->mem, t, sizeof(*t), 0);
}

__attribute__((format(printf, 4, 5))) static int bad(char *buf, size_t len, const char *field,
						     const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!buf || !len)
		return -EINVAL;
	n = snprintf(buf, len, "%s: ", field);
	if (n >= 0 && (size_t)n < len) {
		va_start(ap, fmt);
		vsnprintf(buf + n, len - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* The call's own fields, before its place in the trace is looked at. */
static int check_fields(const struct iommusim_trace_rec *r, char *eb, size_t el)
{
	bool sg = r->op == IOMMUSIM_TRACE_MAP_SG || r->op == IOMMUSIM_TRACE_UNMAP_SG;

	if (r->op >= IOMMUSIM_TRACE_OP_NR)
		return bad(eb, el, "op", "%u is not an op", r->op);
	if (r->cpu >= IOMMUSIM_TRACE_MAX_CPUS)
		return bad(eb, el, "cpu", "%u is not below %u", r->cpu, IOMMUSIM_TRACE_MAX_CPUS);
	if (r->dir >= NR_DIRS)
		return bad(eb, el, "dir", "%u is not a direction", r->dir);
	if ((r->op == IOMMUSIM_TRACE_ALLOC || r->op == IOMMUSIM_TRACE_FREE) &&
	    r->dir != IOMMUSIM_DMA_BIDIRECTIONAL)
		return bad(eb, el, "dir", "coherent memory is bidi, not %s", dir_names[r->dir]);
	if (r->bytes == 0)
		return bad(eb, el, "bytes", "must not be 0");
	if (r->segs == 0 || (!sg && r->segs != 1))
		return bad(eb, el, "segs", "%u: %s", r->segs,
			   sg ? "a scatterlist has at least 1 entry"
			      : "only a scatterlist has other than 1");
	if (r->segs > IOMMUSIM_TRACE_MAX_SEGS || r->segs > r->bytes)
		return bad(eb, el, "segs", "%u entries of %llu bytes in all", r->segs,
			   (unsigned long long)r->bytes);
	return 0;
}

/* An unmap against the call that mapped its buffer: the same kind, direction and size. */
static int check_pair(const struct iommusim_trace_rec *m, const struct iommusim_trace_rec *r,
		      char *eb, size_t el)
{
	if (m->op + 1u != r->op)
		return bad(eb, el, "op", "%s of buffer %llu, mapped by %s", op_names[r->op],
			   (unsigned long long)r->buffer, op_names[m->op]);
	if (m->dir != r->dir)
		return bad(eb, el, "dir", "%s, but buffer %llu was mapped %s", dir_names[r->dir],
			   (unsigned long long)r->buffer, dir_names[m->dir]);
	if (m->bytes != r->bytes || m->segs != r->segs)
		return bad(eb, el, "bytes",
			   "%llu in %u entries, but buffer %llu was mapped as %llu in %u",
			   (unsigned long long)r->bytes, r->segs, (unsigned long long)r->buffer,
			   (unsigned long long)m->bytes, m->segs);
	return 0;
}

int iommusim_trace_add(struct iommusim_trace *t, const struct iommusim_trace_rec *r, char *errbuf,
		       size_t errlen)
{
	struct iommusim_trace_rec *rec;
	uint64_t *at;
	int err = check_fields(r, errbuf, errlen);

	if (err)
		return err;
	if (t->n && r->time_ns < t->rec[t->n - 1].time_ns)
		return bad(errbuf, errlen, "time_ns", "%llu is before the previous call's %llu",
			   (unsigned long long)r->time_ns,
			   (unsigned long long)t->rec[t->n - 1].time_ns);
	at = isim_live_get(&t->live, r->buffer);
	if (starts(r->op) && at)
		return bad(errbuf, errlen, "buffer", "%llu is mapped already (not unmapped since)",
			   (unsigned long long)r->buffer);
	if (!starts(r->op) && !at)
		return bad(errbuf, errlen, "buffer", "%llu is not mapped",
			   (unsigned long long)r->buffer);
	if (!starts(r->op)) {
		err = check_pair(&t->rec[*at], r, errbuf, errlen);
		if (err)
			return err;
	}
	rec = isim_script_grow(t->mem, t->rec, t->n, &t->cap, sizeof(*t->rec));
	if (!rec)
		return -ENOMEM;
	t->rec = rec;
	if (starts(r->op)) {
		if (isim_live_put(&t->live, r->buffer, t->n))
			return -ENOMEM;
		t->maps++;
	} else {
		isim_live_del(&t->live, r->buffer, NULL);
		t->unmaps++;
	}
	t->rec[t->n++] = *r;
	if (r->cpu + 1 > t->cpus)
		t->cpus = r->cpu + 1;
	return 0;
}

const struct iommusim_trace_rec *iommusim_trace_records(const struct iommusim_trace *t, size_t *n)
{
	*n = t->n;
	return t->rec;
}

void iommusim_trace_get_info(const struct iommusim_trace *t, struct iommusim_trace_info *out)
{
	memset(out, 0, sizeof(*out));
	out->ops = t->n;
	out->maps = t->maps;
	out->unmaps = t->unmaps;
	out->left_mapped = t->maps - t->unmaps;
	out->cpus = t->cpus;
	out->duration_ns = t->n ? t->rec[t->n - 1].time_ns : 0;
	out->device = t->device;
}

/* ---- the text form ---- */

#define MAGIC	  "iommusim-trace"
#define VERSION	  "1"
#define OP_FIELDS 7

/* docs/traces.md: fields are separated by spaces or tabs; a line starting with '#' is a comment. */
static const struct isim_script_rules rules = {0};

static bool word_is(const struct isim_script_lines *l, size_t i, const char *s)
{
	return l->wlen[i] == strlen(s) && !memcmp(l->word[i], s, l->wlen[i]);
}

static int lookup(const struct isim_script_lines *l, size_t i, const char *const *names, size_t n,
		  unsigned int *out)
{
	for (unsigned int k = 0; k < n; k++)
		if (word_is(l, i, names[k])) {
			*out = k;
			return 0;
		}
	return -ENOENT;
}

static int number(const struct isim_script_lines *l, size_t i, const char *field, uint64_t max,
		  uint64_t *out)
{
	char shown[ISIM_SCRIPT_SHOWN_SIZE];
	enum isim_script_number r = isim_script_number(&rules, l->word[i], l->wlen[i], out);

	if (r == ISIM_NUMBER_OK && *out <= max)
		return 0;
	isim_script_shown(shown, sizeof(shown), l->word[i], l->wlen[i]);
	if (r == ISIM_NUMBER_MALFORMED)
		return isim_script_fail(l, field, "not a number: '%s'", shown);
	return isim_script_fail(l, field, "%s is larger than %llu", shown, (unsigned long long)max);
}

static int parse_op(struct isim_script_lines *l, struct iommusim_trace *t)
{
	static const char *const fields[OP_FIELDS] = {"time_ns", "cpu",	  "op",	 "dir",
						      "buffer",	 "bytes", "segs"};
	char shown[ISIM_SCRIPT_SHOWN_SIZE], msg[256];
	struct iommusim_trace_rec r = {0};
	uint64_t v[OP_FIELDS];
	unsigned int op, dir;
	int err;

	if (l->nwords != OP_FIELDS)
		return isim_script_fail(l, l->nwords < OP_FIELDS ? fields[l->nwords] : "line",
					l->nwords < OP_FIELDS ? "missing" : "more than %d fields",
					OP_FIELDS);
	if (lookup(l, 2, op_names, IOMMUSIM_TRACE_OP_NR, &op))
		return isim_script_fail(
			l, "op", "unknown op '%s'",
			isim_script_shown(shown, sizeof(shown), l->word[2], l->wlen[2]));
	if (lookup(l, 3, dir_names, NR_DIRS, &dir))
		return isim_script_fail(
			l, "dir", "not to, from or bidi: '%s'",
			isim_script_shown(shown, sizeof(shown), l->word[3], l->wlen[3]));
	for (size_t i = 0; i < OP_FIELDS; i++) {
		uint64_t max = i == 1 || i == 6 ? UINT32_MAX : UINT64_MAX;

		if (i == 2 || i == 3)
			continue;
		err = number(l, i, fields[i], max, &v[i]);
		if (err)
			return err;
	}
	r = (struct iommusim_trace_rec){.time_ns = v[0],
					.cpu = (uint32_t)v[1],
					.op = (uint8_t)op,
					.dir = (uint8_t)dir,
					.buffer = v[4],
					.bytes = v[5],
					.segs = (uint32_t)v[6]};
	err = iommusim_trace_add(t, &r, msg, sizeof(msg));
	if (err == -EINVAL) {
		char *colon = strchr(msg, ':');

		/* "FIELD: problem" from the checks: the line's number goes before it */
		if (colon)
			*colon = '\0';
		return isim_script_fail(l, msg, "%s", colon ? colon + 2 : "invalid");
	}
	return err;
}

/* The lines before the first op: the format's name and version, then the device if named. */
static int parse_head(struct isim_script_lines *l, struct iommusim_trace *t, bool *more)
{
	char shown[ISIM_SCRIPT_SHOWN_SIZE];

	*more = isim_script_next_line(l, OP_FIELDS + 1);
	if (!*more || !word_is(l, 0, MAGIC)) {
		/* an empty file has no line 0 to blame */
		l->line = l->line ? l->line : 1;
		return isim_script_fail(l, "header",
					"the first line must be '" MAGIC " " VERSION "'");
	}
	if (l->nwords != 2 || !word_is(l, 1, VERSION))
		return isim_script_fail(l, "version", "only version " VERSION " is known");
	*more = isim_script_next_line(l, OP_FIELDS + 1);
	if (!*more || !word_is(l, 0, "device"))
		return 0;
	if (l->nwords != 2 || l->wlen[1] >= DEVICE_MAX)
		return isim_script_fail(l, "device", "one name of at most %d bytes",
					DEVICE_MAX - 1);
	memcpy(t->device, l->word[1], l->wlen[1]);
	t->device[l->wlen[1]] = '\0';
	if (!device_ok(t->device))
		return isim_script_fail(
			l, "device", "not a name: '%s'",
			isim_script_shown(shown, sizeof(shown), l->word[1], l->wlen[1]));
	*more = isim_script_next_line(l, OP_FIELDS + 1);
	return 0;
}

int iommusim_trace_parse(struct iommusim_mem *mem, const char *text, size_t len, const char *name,
			 struct iommusim_trace **out, char *errbuf, size_t errlen)
{
	struct isim_script_lines l;
	struct iommusim_trace *t;
	bool more;
	int err;

	if (errlen)
		errbuf[0] = '\0';
	err = iommusim_trace_create(mem, NULL, &t);
	if (err)
		return err;
	isim_script_lines_init(&l, &rules, text, len, name, errbuf, errlen);
	err = parse_head(&l, t, &more);
	for (; !err && more; more = isim_script_next_line(&l, OP_FIELDS + 1))
		err = parse_op(&l, t);
	if (err) {
		if (err == -ENOMEM && errlen)
			snprintf(errbuf, errlen, "%s: out of memory", name);
		iommusim_trace_destroy(t);
		return err;
	}
	*out = t;
	return 0;
}

int iommusim_trace_load(struct iommusim_mem *mem, FILE *in, const char *name,
			struct iommusim_trace **out, char *errbuf, size_t errlen)
{
	size_t len, size;
	char *text;
	int err = isim_script_slurp(mem, in, &text, &len, &size);

	if (err) {
		if (errlen)
			snprintf(errbuf, errlen, "%s: %s", name,
				 err == -EIO ? "cannot read it" : "out of memory");
		return err;
	}
	err = iommusim_trace_parse(mem, text, len, name, out, errbuf, errlen);
	isim_free(mem, text, size, 0);
	return err;
}

int iommusim_trace_write(const struct iommusim_trace *t, FILE *f)
{
	/* 64 KiB of buffer: not on the stack */
	struct isim_script_out *out = isim_alloc(t->mem, sizeof(*out), 0);
	bool failed;

	if (!out)
		return -ENOMEM;
	isim_script_out_init(out, f);
	isim_script_out_str(out, MAGIC " " VERSION "\n");
	if (t->device[0]) {
		isim_script_out_str(out, "device ");
		isim_script_out_str(out, t->device);
		isim_script_out_str(out, "\n");
	}
	isim_script_out_str(out, "# time_ns cpu op dir buffer bytes segs\n");
	for (size_t i = 0; i < t->n; i++) {
		const struct iommusim_trace_rec *r = &t->rec[i];

		isim_script_out_dec(out, r->time_ns);
		isim_script_out_str(out, " ");
		isim_script_out_dec(out, r->cpu);
		isim_script_out_str(out, " ");
		isim_script_out_str(out, op_names[r->op]);
		isim_script_out_str(out, " ");
		isim_script_out_str(out, dir_names[r->dir]);
		isim_script_out_str(out, " ");
		isim_script_out_dec(out, r->buffer);
		isim_script_out_str(out, " ");
		isim_script_out_dec(out, r->bytes);
		isim_script_out_str(out, " ");
		isim_script_out_dec(out, r->segs);
		isim_script_out_str(out, "\n");
	}
	isim_script_out_flush(out);
	failed = out->failed;
	isim_free(t->mem, out, sizeof(*out), 0);
	return failed ? -EIO : 0;
}
