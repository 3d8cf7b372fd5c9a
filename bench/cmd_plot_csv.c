/* SPDX-License-Identifier: MIT */
/*
 * The inputs of iommusim-bench plot: a CSV file as the report emitter writes it (RFC 4180:
 * one header line, quoted fields may hold commas, quotes and line breaks) and the one thing
 * a sweep's JSON adds to it, the list of swept keys.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_plot.h"

/* Growing arrays: the fields, and where each record starts (field index and line). */
struct vec {
	char **v;
	size_t n, cap;
};

struct nvec {
	size_t *v;
	size_t n, cap;
};

static int vec_push(struct vec *a, char *s)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		char **v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return -1;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = s;
	return 0;
}

static int nvec_push(struct nvec *a, size_t x)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		size_t *v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return -1;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n++] = x;
	return 0;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got);
	if (ferror(f)) {
		int err = errno ? errno : EIO;

		free(buf);
		fclose(f);
		errno = err;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * Split @buf in place into fields: each field is unquoted and terminated where it lies (a
 * quoted field only shrinks). Records end at LF or CRLF; @rowstart gets the index of each
 * record's first field, @lines its first line; blank lines are skipped. -1 with the line in
 * *bad_line for a quote that is never closed or text after a closing quote; -2 out of memory.
 */
static int split(char *buf, size_t len, struct vec *fields, struct nvec *rowstart,
		 struct nvec *lines, unsigned *bad_line)
{
	unsigned line = 1;
	size_t i = 0;

	while (i < len) {
		if (buf[i] == '\n' || (buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n')) {
			i += buf[i] == '\r' ? 2 : 1;
			line++;
			continue;
		}
		if (nvec_push(rowstart, fields->n) || nvec_push(lines, line))
			return -2;
		for (;;) {
			char *start = buf + i, *out = start;

			if (i < len && buf[i] == '"') {
				unsigned qline = line;

				for (i++;; i++) {
					if (i >= len) {
						*bad_line = qline;
						return -1;
					}
					if (buf[i] == '"' && (i + 1 >= len || buf[i + 1] != '"'))
						break;
					if (buf[i] == '"')
						i++;
					if (buf[i] == '\n')
						line++;
					*out++ = buf[i];
				}
				i++;
				if (i < len && buf[i] != ',' && buf[i] != '\n' && buf[i] != '\r') {
					*bad_line = line;
					return -1;
				}
			} else {
				while (i < len && buf[i] != ',' && buf[i] != '\n')
					*out++ = buf[i++];
				if (out > start && out[-1] == '\r' && (i >= len || buf[i] == '\n'))
					out--;
			}
			if (i < len && buf[i] == '\r')
				i++;
			if (vec_push(fields, start))
				return -2;
			if (i >= len || buf[i] == '\n') {
				*out = '\0';
				if (i < len)
					line++;
				i++;
				break;
			}
			*out = '\0'; /* overwrites the comma */
			i++;
		}
	}
	return 0;
}

void plot_table_free(struct plot_table *t)
{
	if (t->names)
		free(t->names[t->ncols]);
	free(t->names);
	free(t->cells);
	free(t->lines);
	t->names = t->cells = NULL;
	t->lines = NULL;
}

int plot_table_col(const struct plot_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (!strcmp(t->names[i], name))
			return (int)i;
	return -1;
}

int plot_parse_number(const char *s, double *out)
{
	const char *p = s;
	char *end;
	double v;

	/* strtod would take blanks, hex, "inf" and "nan": a report writes none of them */
	if (*p == '-' || *p == '+')
		p++;
	if (!((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9')))
		return -1;
	for (const char *q = p; *q; q++)
		if (!strchr("0123456789.eE+-", *q))
			return -1;
	errno = 0;
	v = strtod(s, &end);
	if (*end || errno == ERANGE || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

/* The text of every cell stays in the file's buffer, which names[ncols] keeps for the free. */
int plot_csv_read(const char *path, struct plot_table *t)
{
	struct vec fields = {0};
	struct nvec rowstart = {0}, lines = {0};
	unsigned bad_line = 0;
	size_t len, nrec, i;
	char shown[160];
	char *buf = read_all(path, &len);
	int rc;

	memset(t, 0, sizeof(*t));
	t->path = path;
	cli_shown(path, shown, sizeof(shown));
	if (!buf) {
		fprintf(stderr, "plot: cannot read '%s': %s\n", shown, strerror(errno));
		return -1;
	}
	rc = split(buf, len, &fields, &rowstart, &lines, &bad_line);
	if (rc == -2) {
		fprintf(stderr, "plot: %s\n", strerror(ENOMEM));
		goto fail;
	}
	if (rc == -1) {
		fprintf(stderr, "%s:%u: field: a quoted field is not closed properly\n", shown,
			bad_line);
		goto fail;
	}
	nrec = rowstart.n;
	if (!nrec) {
		fprintf(stderr, "%s:1: header: the file is empty\n", shown);
		goto fail;
	}
	t->ncols = (nrec > 1 ? rowstart.v[1] : fields.n);
	for (i = 0; i < t->ncols; i++)
		if (!*fields.v[i]) {
			fprintf(stderr, "%s:1: header: column %zu has no name\n", shown, i + 1);
			goto fail;
		}
	if (nrec == 1) {
		fprintf(stderr, "%s:2: rows: no rows after the header\n", shown);
		goto fail;
	}
	for (i = 1; i < nrec; i++) {
		size_t a = rowstart.v[i];
		size_t b = i + 1 < nrec ? rowstart.v[i + 1] : fields.n;

		if (b - a != t->ncols) {
			fprintf(stderr, "%s:%u: fields: %zu, but the header has %zu\n", shown,
				(unsigned)lines.v[i], b - a, t->ncols);
			goto fail;
		}
	}
	t->nrows = nrec - 1;
	t->lines = malloc(t->nrows * sizeof(*t->lines));
	t->names = malloc((t->ncols + 1) * sizeof(*t->names));
	if (!t->lines || !t->names) {
		fprintf(stderr, "plot: %s\n", strerror(ENOMEM));
		goto fail;
	}
	memcpy(t->names, fields.v, t->ncols * sizeof(*t->names));
	t->names[t->ncols] = buf;
	for (i = 0; i < t->nrows; i++)
		t->lines[i] = (unsigned)lines.v[i + 1];
	/* the fields array becomes the cells: drop the header from its front */
	memmove(fields.v, fields.v + t->ncols, (fields.n - t->ncols) * sizeof(*fields.v));
	t->cells = fields.v;
	free(rowstart.v);
	free(lines.v);
	return 0;
fail:
	free(fields.v);
	free(rowstart.v);
	free(lines.v);
	free(t->lines);
	free(t->names);
	memset(t, 0, sizeof(*t));
	free(buf);
	return -1;
}

/* ---- meta.swept of a sweep's JSON: just enough JSON to find it ---- */

struct json {
	const char *p, *end;
};

static void json_ws(struct json *j)
{
	while (j->p < j->end && strchr(" \t\r\n", *j->p))
		j->p++;
}

/* A string at j->p, copied to @out (when not NULL) with simple escapes undone; 0 or -1. */
static int json_string(struct json *j, char *out, size_t len)
{
	size_t n = 0;

	if (j->p >= j->end || *j->p != '"')
		return -1;
	for (j->p++; j->p < j->end && *j->p != '"'; j->p++) {
		char c = *j->p;

		if (c == '\\') {
			if (++j->p >= j->end)
				return -1;
			c = *j->p;
			if (c == 'u') {
				if (j->end - j->p < 5)
					return -1;
				j->p += 4;
				c = '?'; /* never in a key name */
			} else if (c == 'n' || c == 't' || c == 'r' || c == 'b' || c == 'f') {
				c = ' ';
			}
		}
		if (out && n + 1 < len)
			out[n++] = c;
	}
	if (j->p >= j->end)
		return -1;
	j->p++;
	if (out && len)
		out[n] = '\0';
	return 0;
}

static int json_skip(struct json *j, int depth)
{
	char close;

	json_ws(j);
	if (j->p >= j->end || depth > 64)
		return -1;
	if (*j->p == '"')
		return json_string(j, NULL, 0);
	if (*j->p != '{' && *j->p != '[') {
		/* a number or a literal: up to the next delimiter */
		const char *start = j->p;

		while (j->p < j->end && !strchr(",]} \t\r\n", *j->p))
			j->p++;
		return j->p > start ? 0 : -1;
	}
	close = *j->p == '{' ? '}' : ']';
	j->p++;
	json_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			json_ws(j);
			if (json_string(j, NULL, 0))
				return -1;
			json_ws(j);
			if (j->p >= j->end || *j->p++ != ':')
				return -1;
		}
		if (json_skip(j, depth + 1))
			return -1;
		json_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return 0;
		}
		return -1;
	}
}

/*
 * In the object at j->p, move to the value of member @key: 1 when found (j->p on the
 * value), 0 when the object has none, -1 for bad JSON.
 */
static int json_member(struct json *j, const char *key)
{
	char name[128];

	json_ws(j);
	if (j->p >= j->end || *j->p++ != '{')
		return -1;
	json_ws(j);
	if (j->p < j->end && *j->p == '}')
		return 0;
	for (;;) {
		json_ws(j);
		if (json_string(j, name, sizeof(name)))
			return -1;
		json_ws(j);
		if (j->p >= j->end || *j->p++ != ':')
			return -1;
		json_ws(j);
		if (!strcmp(name, key))
			return 1;
		if (json_skip(j, 1))
			return -1;
		json_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		return j->p < j->end && *j->p == '}' ? 0 : -1;
	}
}

int plot_json_first_swept(const char *path, char *buf, size_t len)
{
	char shown[160];
	size_t n;
	char *text = read_all(path, &n);
	struct json j = {text, text + (text ? n : 0)};
	int rc;

	cli_shown(path, shown, sizeof(shown));
	if (!text) {
		fprintf(stderr, "plot: --json: cannot read '%s': %s\n", shown, strerror(errno));
		return -1;
	}
	rc = json_member(&j, "meta");
	if (rc == 1)
		rc = json_member(&j, "swept");
	if (rc == 1) {
		json_ws(&j);
		if (j.p < j.end && *j.p == '[') {
			j.p++;
			json_ws(&j);
			if (j.p < j.end && *j.p == ']')
				rc = 0;
			else if (json_string(&j, buf, len))
				rc = -1;
		} else {
			rc = -1;
		}
	}
	free(text);
	if (rc < 0) {
		fprintf(stderr, "plot: --json: '%s' is not a report's JSON\n", shown);
		return -1;
	}
	return rc == 1 ? 0 : 1;
}
