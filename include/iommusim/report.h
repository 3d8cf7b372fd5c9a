/* SPDX-License-Identifier: MIT */
/**
 * @file report.h  Reports: one schema of columns, written as an aligned table, CSV or JSON.
 *
 * A report is a list of columns, fixed when it is created, rows of cells filled one row at a
 * time, a "meta" object (ordered keys, nested objects and arrays) that describes the run, and
 * free text the table prints above and below its rows. The same report writes:
 *
 *  - a table for people: a heading of column names, then one line per row, each column as
 *    wide as its widest cell (or a fixed width), names left and numbers right as the schema
 *    says, a missing value as "-";
 *  - CSV (RFC 4180): a header line of names, then one line per row; a field holding a comma,
 *    a quote or a line break is quoted; a missing value is an empty field; a bool is 1 or 0;
 *  - JSON: {"meta": {...},\n "rows": [\n  {...},\n  {...}\n]}\n, one row per line, a
 *    missing value as null. Strings are always valid UTF-8 whatever bytes they were given:
 *    '"' and '\' escaped, control characters as \u00XX, each maximal ill-formed UTF-8
 *    subsequence replaced by one U+FFFD.
 *
 * Numbers have fixed formats: integers in decimal, reals with the column's number of
 * decimals (printf's rounding), so the three forms show the same digits and the same report
 * is the same bytes on every machine, whatever the locale. iommusim-bench writes all its
 * reports with these functions.
 *
 * Errors are sticky: the first add or set that fails (-ENOMEM, or -EINVAL for a call that
 * does not fit the schema) is recorded, every later add or set does nothing and returns it,
 * and the writers return it without writing anything. A caller may therefore check only
 * iommusim_report_check() once the report is built. A report is used by one thread at a time.
 */
#ifndef IOMMUSIM_REPORT_H
#define IOMMUSIM_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <iommusim/export.h>
#include <iommusim/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define IOMMUSIM_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define IOMMUSIM_PRINTF(fmt, args)
#endif

struct iommusim_report;

/**
 * struct iommusim_report_value - a JSON object or array of a report: the meta object, one
 * nested in it, or a cell of an IOMMUSIM_REPORT_OBJECT column. It belongs to its report.
 */
struct iommusim_report_value;

/** enum iommusim_report_type - what a column's cells hold. */
enum iommusim_report_type {
	/** Text: a JSON string. */
	IOMMUSIM_REPORT_STRING = 0,
	/** An unsigned 64-bit integer. */
	IOMMUSIM_REPORT_UINT,
	/** A signed 64-bit integer. */
	IOMMUSIM_REPORT_INT,
	/** A double with the column's fixed number of decimals; NaN and infinities are missing. */
	IOMMUSIM_REPORT_REAL,
	/** true or false: the table shows the column's words, CSV 1 or 0. */
	IOMMUSIM_REPORT_BOOL,
	/** A number the caller formatted (e.g. with "%g"); it must be a JSON number. */
	IOMMUSIM_REPORT_NUMBER,
	/** A JSON object built with the iommusim_report_add_*() calls; JSON only. */
	IOMMUSIM_REPORT_OBJECT,
};

/* Where a column appears (struct iommusim_report_column.outputs); 0 means all three. */
#define IOMMUSIM_REPORT_TABLE (1u << 0)
#define IOMMUSIM_REPORT_CSV   (1u << 1)
#define IOMMUSIM_REPORT_JSON  (1u << 2)
/** The two files: CSV and JSON. */
#define IOMMUSIM_REPORT_FILES (IOMMUSIM_REPORT_CSV | IOMMUSIM_REPORT_JSON)
/** Nowhere: a column kept in the schema so that the caller's column numbers stay fixed. */
#define IOMMUSIM_REPORT_NOWHERE (1u << 3)

/* Column flags (struct iommusim_report_column.flags). */
/** A cell may be missing: never set, set with iommusim_report_set_null(), or a NaN. */
#define IOMMUSIM_REPORT_NULLABLE (1u << 0)
/** Right-aligned in the table, heading included (numbers); left-aligned otherwise. */
#define IOMMUSIM_REPORT_RIGHT (1u << 1)
/**
 * The table pads every cell to @width on its own instead of sizing the column to its widest
 * cell: a longer cell pushes the rest of its line to the right, as printf's "%9s" does.
 */
#define IOMMUSIM_REPORT_FIXED (1u << 2)

/** Most decimals a real may have. */
#define IOMMUSIM_REPORT_MAX_DECIMALS 17

/**
 * struct iommusim_report_column - one column of the schema.
 * @name:     the table's heading, the CSV header's field and the JSON key. Two columns that
 *            both appear in JSON need different names; a table-only column may share the
 *            name of a file column that shows the same figure otherwise.
 * @type:     what its cells hold.
 * @outputs:  where it appears: IOMMUSIM_REPORT_TABLE, _CSV, _JSON ORed, or 0 for all three;
 *            IOMMUSIM_REPORT_NOWHERE hides it. An IOMMUSIM_REPORT_OBJECT column is JSON only.
 * @flags:    IOMMUSIM_REPORT_NULLABLE, IOMMUSIM_REPORT_RIGHT, IOMMUSIM_REPORT_FIXED.
 * @decimals: IOMMUSIM_REPORT_REAL: digits after the point, 0 to IOMMUSIM_REPORT_MAX_DECIMALS.
 * @width:    the table: the column's least width in characters (UTF-8 code points), or its
 *            width with IOMMUSIM_REPORT_FIXED.
 * @sep:      the table: what separates the column from the one before; NULL for two spaces.
 *            The table's first column has none.
 * @yes, @no: IOMMUSIM_REPORT_BOOL: the table's words; NULL for "true" and "false".
 *
 * A left-aligned column that ends the table's line is not padded, so lines carry no trailing
 * blanks.
 */
struct iommusim_report_column {
	const char *name;
	enum iommusim_report_type type;
	unsigned int outputs;
	unsigned int flags;
	unsigned int decimals;
	unsigned int width;
	const char *sep;
	const char *yes;
	const char *no;
};

/** enum iommusim_report_place - where the table prints a note. */
enum iommusim_report_place {
	/** Before the heading (what ran). */
	IOMMUSIM_REPORT_ABOVE = 0,
	/** After the last row (a legend). */
	IOMMUSIM_REPORT_BELOW,
};

/**
 * iommusim_report_create() - create an empty report.
 * @mem:   where its memory comes from; NULL for the C library's malloc.
 * @cols:  the schema, copied (strings included); may be NULL when @ncols is 0.
 * @ncols: how many columns; cells are named by their index in @cols.
 * @out:   receives the report; NULL when the call fails.
 *
 * The meta object starts with the library's "version" and "git" (iommusim_version(),
 * iommusim_git_describe()), so that every report says what wrote it.
 *
 * Return: 0; -EINVAL for a schema that cannot be written (a column without a name, an
 * unknown type, flag or output, too many decimals, an object outside JSON, two JSON columns
 * of one name); -ENOMEM.
 */
IOMMUSIM_API int iommusim_report_create(struct iommusim_mem *mem,
					const struct iommusim_report_column *cols, size_t ncols,
					struct iommusim_report **out);

/** iommusim_report_destroy() - free @r and everything it holds; NULL is ignored. */
IOMMUSIM_API void iommusim_report_destroy(struct iommusim_report *r);

/**
 * iommusim_report_check() - whether the writers can write @r.
 *
 * Return: 0; the error the first failed add or set recorded; -EINVAL if a cell of a column
 * without IOMMUSIM_REPORT_NULLABLE has no value.
 */
IOMMUSIM_API int iommusim_report_check(const struct iommusim_report *r);

/**
 * iommusim_report_note() - append text the table prints above its heading or below its rows.
 * @r:     the report.
 * @place: IOMMUSIM_REPORT_ABOVE or IOMMUSIM_REPORT_BELOW.
 * @fmt:   printf format; the text is written as it comes, so end lines with "\n".
 *
 * Notes are for people: CSV and JSON leave them out (their meta says the same for programs).
 * Return: 0, -EINVAL (an unknown @place), -ENOMEM, or the error recorded earlier.
 */
IOMMUSIM_API int iommusim_report_note(struct iommusim_report *r, enum iommusim_report_place place,
				      const char *fmt, ...) IOMMUSIM_PRINTF(3, 4);

/* ---- rows ---- */

/**
 * iommusim_report_add_row() - append a row whose cells have no value yet; the set calls
 * below fill the last row added.
 *
 * Return: 0, -ENOMEM, or the error recorded earlier.
 */
IOMMUSIM_API int iommusim_report_add_row(struct iommusim_report *r);

/*
 * Set cell @col of the last row. Each must match the column's type (iommusim_report_set_null()
 * fits any nullable column); a cell is set once. They return 0, or -EINVAL (no row yet, a
 * column out of range, the wrong type, a cell set before, a missing value in a column without
 * IOMMUSIM_REPORT_NULLABLE, a NUMBER that is not a JSON number), -ENOMEM, or the error
 * recorded earlier.
 */

/** iommusim_report_set_str() - an IOMMUSIM_REPORT_STRING cell: a copy of @s. */
IOMMUSIM_API int iommusim_report_set_str(struct iommusim_report *r, size_t col, const char *s);

/** iommusim_report_set_strf() - an IOMMUSIM_REPORT_STRING cell, formatted by printf. */
IOMMUSIM_API int iommusim_report_set_strf(struct iommusim_report *r, size_t col, const char *fmt,
					  ...) IOMMUSIM_PRINTF(3, 4);

/** iommusim_report_set_uint() - an IOMMUSIM_REPORT_UINT cell. */
IOMMUSIM_API int iommusim_report_set_uint(struct iommusim_report *r, size_t col, uint64_t v);

/** iommusim_report_set_int() - an IOMMUSIM_REPORT_INT cell. */
IOMMUSIM_API int iommusim_report_set_int(struct iommusim_report *r, size_t col, int64_t v);

/**
 * iommusim_report_set_real() - an IOMMUSIM_REPORT_REAL cell; NaN or an infinity is a missing
 * value (the column must be nullable).
 */
IOMMUSIM_API int iommusim_report_set_real(struct iommusim_report *r, size_t col, double v);

/** iommusim_report_set_bool() - an IOMMUSIM_REPORT_BOOL cell. */
IOMMUSIM_API int iommusim_report_set_bool(struct iommusim_report *r, size_t col, bool v);

/**
 * iommusim_report_set_number() - an IOMMUSIM_REPORT_NUMBER cell: a copy of @text, which must
 * be a JSON number ("12", "-0.5", "1e-07"; not "inf", "nan", "+1" or "0x10").
 */
IOMMUSIM_API int iommusim_report_set_number(struct iommusim_report *r, size_t col,
					    const char *text);

/** iommusim_report_set_null() - a missing value, in a column with IOMMUSIM_REPORT_NULLABLE. */
IOMMUSIM_API int iommusim_report_set_null(struct iommusim_report *r, size_t col);

/**
 * iommusim_report_set_object() - an IOMMUSIM_REPORT_OBJECT cell: an empty object to fill
 * with the iommusim_report_add_*() calls.
 *
 * Return: the object; after an error (recorded, as for the other calls), a placeholder on
 * which every add does nothing and returns the error. Never NULL.
 */
IOMMUSIM_API struct iommusim_report_value *iommusim_report_set_object(struct iommusim_report *r,
								      size_t col);

/* ---- the meta object, and the objects and arrays in it ---- */

/** iommusim_report_meta() - the report's meta object, to add members to. */
IOMMUSIM_API struct iommusim_report_value *iommusim_report_meta(struct iommusim_report *r);

/*
 * Append a member to the object @to under @key (a copy; unique within the object), or an
 * element to the array @to (@key must then be NULL). They return 0, or -EINVAL (@to NULL,
 * a key where none belongs or none where one does, a key used before, a NUMBER that is not a
 * JSON number, too many decimals), -ENOMEM, or the error recorded earlier.
 */

/** iommusim_report_add_str() - a string: a copy of @s. */
IOMMUSIM_API int iommusim_report_add_str(struct iommusim_report_value *to, const char *key,
					 const char *s);

/** iommusim_report_add_uint() - an unsigned integer. */
IOMMUSIM_API int iommusim_report_add_uint(struct iommusim_report_value *to, const char *key,
					  uint64_t v);

/** iommusim_report_add_int() - a signed integer. */
IOMMUSIM_API int iommusim_report_add_int(struct iommusim_report_value *to, const char *key,
					 int64_t v);

/** iommusim_report_add_real() - @v with @decimals fixed decimals; null if it is not finite. */
IOMMUSIM_API int iommusim_report_add_real(struct iommusim_report_value *to, const char *key,
					  double v, unsigned int decimals);

/** iommusim_report_add_number() - a number the caller formatted: a copy of @text. */
IOMMUSIM_API int iommusim_report_add_number(struct iommusim_report_value *to, const char *key,
					    const char *text);

/** iommusim_report_add_bool() - true or false. */
IOMMUSIM_API int iommusim_report_add_bool(struct iommusim_report_value *to, const char *key,
					  bool v);

/** iommusim_report_add_null() - null. */
IOMMUSIM_API int iommusim_report_add_null(struct iommusim_report_value *to, const char *key);

/**
 * iommusim_report_add_object() - an empty object, to fill in turn.
 * Return: the object; after an error, a placeholder as iommusim_report_set_object() returns.
 * NULL only if @to is NULL.
 */
IOMMUSIM_API struct iommusim_report_value *
iommusim_report_add_object(struct iommusim_report_value *to, const char *key);

/** iommusim_report_add_array() - an empty array, to fill in turn; as add_object(). */
IOMMUSIM_API struct iommusim_report_value *
iommusim_report_add_array(struct iommusim_report_value *to, const char *key);

/**
 * iommusim_report_newline() - start the next member or element of @to on a line of its own,
 * indented one space deeper than @to's depth (the meta object's members by two spaces), so
 * that a long meta object reads in groups. Nothing if @to is NULL or a placeholder.
 */
IOMMUSIM_API void iommusim_report_newline(struct iommusim_report_value *to);

/* ---- writing ---- */

/*
 * Each writer checks the report first (iommusim_report_check()) and writes nothing if that
 * fails. Return: 0, that error, or -EIO if @f has its error flag set afterwards (the caller
 * still owns @f and closes it).
 */

/** iommusim_report_write_table() - the notes above, the heading, the rows, the notes below. */
IOMMUSIM_API int iommusim_report_write_table(const struct iommusim_report *r, FILE *f);

/** iommusim_report_write_csv() - the header line and one line per row. */
IOMMUSIM_API int iommusim_report_write_csv(const struct iommusim_report *r, FILE *f);

/** iommusim_report_write_json() - {"meta": ..., "rows": [...]} and a newline. */
IOMMUSIM_API int iommusim_report_write_json(const struct iommusim_report *r, FILE *f);

/**
 * iommusim_report_write_value() - one object or array of a report as JSON, without a newline
 * after it: e.g. a cost set's values, to embed in a JSON text of the caller's own. Lines the
 * value breaks (iommusim_report_newline()) are indented as if it stood at the top level.
 * Return: 0, the report's recorded error (always there for a placeholder), -EINVAL for NULL,
 * or -EIO.
 */
IOMMUSIM_API int iommusim_report_write_value(const struct iommusim_report_value *v, FILE *f);

#ifdef __cplusplus
}
#endif

#endif /* IOMMUSIM_REPORT_H */
