/* SPDX-License-Identifier: MIT */
/*
 * The report emitter's insides, shared by the builder (report.c, report_rows.c,
 * report_meta.c) and the writers (report_write.c). Everything a report holds lives in its
 * arena and goes with it.
 */
#ifndef ISIM_STATS_REPORT_IMPL_H
#define ISIM_STATS_REPORT_IMPL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <iommusim/report.h>

/* What a meta value or a cell holds. */
enum isim_rv_kind {
	ISIM_RV_UNSET, /* a cell not set yet */
	ISIM_RV_NULL,
	ISIM_RV_STRING,
	ISIM_RV_NUMBER, /* text that is a JSON number */
	ISIM_RV_UINT,
	ISIM_RV_INT,
	ISIM_RV_REAL,
	ISIM_RV_BOOL,
	ISIM_RV_OBJECT,
	ISIM_RV_ARRAY,
	ISIM_RV_DEAD, /* the placeholder handed out after an error */
};

/* A scalar, or a container with its members in order. */
struct isim_rv_data {
	enum isim_rv_kind kind;
	unsigned int decimals; /* ISIM_RV_REAL */
	union {
		const char *text; /* STRING, NUMBER */
		uint64_t u;
		int64_t i;
		double d;
		bool b;
		struct iommusim_report_value *obj; /* a cell's OBJECT */
	} v;
};

struct iommusim_report_value {
	struct iommusim_report *rep;
	struct iommusim_report_value *next; /* the next member of the container */
	const char *key;		    /* in an object; NULL in an array */
	bool newline;			    /* starts a line of its own */
	bool newline_next;		    /* a container: its next member will */
	struct isim_rv_data data;
	/* OBJECT, ARRAY */
	struct iommusim_report_value *first, *last;
};

/* A column as the report keeps it. */
struct isim_rcol {
	struct iommusim_report_column c;
	size_t width; /* the table's: the widest of heading, cells and c.width */
};

struct isim_rrow {
	struct isim_rrow *next;
	struct isim_rv_data cell[];
};

/* Text for the table, in the order it was added. */
struct isim_rnote {
	struct isim_rnote *next;
	char text[];
};

struct isim_rchunk;

struct iommusim_report {
	struct iommusim_mem *mem; /* NULL: malloc */
	struct isim_rchunk *chunks;
	char *free_at; /* room left in the newest chunk */
	size_t free_len;
	int err; /* the first error recorded */
	struct isim_rcol *cols;
	size_t ncols;
	struct isim_rrow *rows, *last_row;
	size_t nrows;
	struct isim_rnote *notes[2], *last_note[2];
	struct iommusim_report_value meta;
	struct iommusim_report_value dead;
};

/* Record @err as the report's error unless it has one; returns the report's error. */
int isim_report_fail(struct iommusim_report *r, int err);

/* @size zeroed bytes from the report's arena, or NULL with -ENOMEM recorded. */
void *isim_report_alloc(struct iommusim_report *r, size_t size);

/* A copy of @s in the arena, or NULL with -ENOMEM recorded. */
char *isim_report_strdup(struct iommusim_report *r, const char *s);

/*
 * printf into the arena, after @extra bytes of room (for a header); NULL with the error
 * recorded.
 */
char *isim_report_vprintf(struct iommusim_report *r, size_t extra, const char *fmt, va_list ap);

/* @v as an empty value of @kind belonging to @r. */
void isim_report_init_value(struct iommusim_report *r, struct iommusim_report_value *v,
			    enum isim_rv_kind kind);

/* Room for a cell or value written as text: a real with 17 decimals, or any integer. */
#define ISIM_REPORT_NUM_MAX 400

/*
 * @d as the table, CSV and JSON show it, in @buf (ISIM_REPORT_NUM_MAX bytes) unless it is
 * text of its own; NULL for a missing value. Strings come back as they are (not escaped).
 */
const char *isim_report_text(const struct isim_rv_data *d, char *buf);

/* Characters on screen: UTF-8 code points (continuation bytes do not count). */
size_t isim_report_width(const char *s);

/* Whether @s is a JSON number (RFC 8259, section 6). */
bool isim_report_is_number(const char *s);

#endif /* ISIM_STATS_REPORT_IMPL_H */
