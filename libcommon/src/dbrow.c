/*
 * dbrow.c - the reading half of sn/db.h: results into structs (sn_rows)
 * and arrays as parameters (sn_pgarray). Part of the db module: with db.c
 * the only code of libcommon that reads a PGresult cell by number.
 */
#include "sn/db.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sn/log.h"

/* Type OIDs (src/include/catalog/pg_type.dat): stable across versions. */
enum {
	OID_BOOL        = 16,
	OID_BYTEA       = 17,
	OID_CHAR        = 18,
	OID_NAME        = 19,
	OID_INT8        = 20,
	OID_INT2        = 21,
	OID_INT4        = 23,
	OID_TEXT        = 25,
	OID_JSON        = 114,
	OID_UNKNOWN     = 705,
	OID_BPCHAR      = 1042,
	OID_VARCHAR     = 1043,
	OID_DATE        = 1082,
	OID_TIMESTAMP   = 1114,
	OID_TIMESTAMPTZ = 1184,
	OID_NUMERIC     = 1700,
	OID_UUID        = 2950,
	OID_JSONB       = 3802,
};

/* Days from 1970-01-01 to 2000-01-01: binary dates count from the
 * latter. */
#define PG_EPOCH_DAYS 10957

static sn_err
col_fail(const sn_col *c, const char *why)
{
	sn_log(SN_LOG_ERROR, "query result does not fit its row", "column",
	    c->name, "problem", why, NULL);
	return SN_EPROTO;
}

static bool
is_int(Oid t)
{
	return t == OID_INT2 || t == OID_INT4 || t == OID_INT8;
}

/* Types whose binary form is their text (libpq NUL-terminates it). */
static bool
is_textual(Oid t)
{
	return t == OID_TEXT || t == OID_VARCHAR || t == OID_BPCHAR
	    || t == OID_NAME || t == OID_UNKNOWN || t == OID_JSON;
}

/* Whether a column of type t in format fmt can be read as c->type. */
static bool
type_fits(const sn_col *c, Oid t, int fmt)
{
	switch (c->type) {
	case SN_COL_TEXT:
	case SN_COL_CHARS:
	case SN_COL_ENUM:
		/* Text format: every type's output but bytea's (whose text is
		 * an escape, not the value). Binary: only textual types. */
		return fmt == 0 ? t != OID_BYTEA : is_textual(t);
	case SN_COL_I64:
	case SN_COL_I32:
		return is_int(t);
	case SN_COL_BOOL:
		return t == OID_BOOL;
	case SN_COL_DATE:
	case SN_COL_MONTH:
		return t == OID_DATE || is_textual(t);
	case SN_COL_BYTES:
		return t == OID_BYTEA;
	}
	return false;
}

static bool
size_fits(const sn_col *c)
{
	switch (c->type) {
	case SN_COL_TEXT:
		return c->size == sizeof(const char *);
	case SN_COL_CHARS:
		return c->size >= 1;
	case SN_COL_I64:
		return c->size == sizeof(int64_t);
	case SN_COL_I32:
		return c->size == sizeof(int32_t);
	case SN_COL_BOOL:
		return c->size == sizeof(bool);
	case SN_COL_DATE:
		return c->size == sizeof(sn_date);
	case SN_COL_MONTH:
		return c->size == sizeof(sn_month);
	case SN_COL_BYTES:
		return c->size == sizeof(sn_bytes);
	case SN_COL_ENUM:
		return c->size == sizeof(int) && c->names != NULL;
	}
	return false;
}

sn_err
sn_rows_open(
    sn_rows *rows, const PGresult *res, const sn_col *cols, size_t ncols)
{
	memset(rows, 0, sizeof(*rows));
	if (ncols > SN_ROWS_MAXCOLS || res == NULL)
		return SN_EINVAL;
	for (size_t i = 0; i < ncols; i++) {
		const sn_col *c = &cols[i];
		if (!size_fits(c))
			return col_fail(c,
			    "the row's member does not fit the "
			    "column's kind");
		int k = PQfnumber(res, c->name);
		if (k < 0)
			return col_fail(c, "missing from the result");
		if (!type_fits(c, PQftype(res, k), PQfformat(res, k)))
			return col_fail(c, "of the wrong type");
		rows->idx[i] = k;
	}
	rows->res   = res;
	rows->cols  = cols;
	rows->ncols = ncols;
	rows->nrows = PQntuples(res);
	return SN_OK;
}

int
sn_rows_count(const sn_rows *rows)
{
	return rows->res != NULL ? rows->nrows : 0;
}

static uint64_t
be_u64(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* An integer cell, text or binary (2, 4 or 8 bytes, big-endian). */
static bool
read_int(const PGresult *res, int r, int k, int64_t *out)
{
	const char *v = PQgetvalue(res, r, k);
	if (PQfformat(res, k) == 1) {
		int n = PQgetlength(res, r, k);
		if (n != 2 && n != 4 && n != 8)
			return false;
		uint64_t u = be_u64((const uint8_t *) v, (size_t) n);
		if (n == 2)
			*out = (int16_t) (uint16_t) u;
		else if (n == 4)
			*out = (int32_t) (uint32_t) u;
		else
			*out = (int64_t) u;
		return true;
	}
	char     *end;
	long long x = strtoll(v, &end, 10);
	if (end == v || *end != '\0')
		return false;
	*out = (int64_t) x;
	return true;
}

static bool
read_date(const PGresult *res, int r, int k, sn_date *out)
{
	const char *v = PQgetvalue(res, r, k);
	if (PQfformat(res, k) == 1) {
		if (PQgetlength(res, r, k) != 4)
			return false;
		int32_t d
		    = (int32_t) (uint32_t) be_u64((const uint8_t *) v, 4);
		*out = sn_date_from_days((int64_t) d + PG_EPOCH_DAYS);
		return sn_date_valid(*out);
	}
	return sn_date_parse(v, out) == SN_OK;
}

static bool
read_month(const PGresult *res, int r, int k, sn_month *out)
{
	sn_date d;
	if (PQftype(res, k) == OID_DATE) {
		if (!read_date(res, r, k, &d))
			return false;
		*out = sn_date_month(d);
		return true;
	}
	return sn_month_parse(PQgetvalue(res, r, k), out) == SN_OK;
}

static bool
read_bytes(sn_rows *rows, int r, int k, sn_bytes *out)
{
	const char *v = PQgetvalue(rows->res, r, k);
	if (PQfformat(rows->res, k) == 1) {
		out->data = (const uint8_t *) v;
		out->len  = (size_t) PQgetlength(rows->res, r, k);
		return true;
	}
	/* Text format: "\x" and hex digits. Decoded into a chunk chained on
	 * rows->scratch (its first pointer-sized bytes link the chain). */
	size_t n = strlen(v);
	if (n < 2 || v[0] != '\\' || v[1] != 'x' || n % 2 != 0)
		return false;
	size_t len   = (n - 2) / 2;
	void **chunk = malloc(sizeof(void *) + len + 1);
	if (chunk == NULL)
		return false;
	uint8_t *b = (uint8_t *) (chunk + 1);
	for (size_t i = 0; i < len; i++) {
		int hi = 0, lo = 0;
		for (int j = 0; j < 2; j++) {
			char c = v[2 + 2 * i + (size_t) j];
			int  x = c >= '0' && c <= '9' ? c - '0'
			     : c >= 'a' && c <= 'f'   ? c - 'a' + 10
			     : c >= 'A' && c <= 'F'   ? c - 'A' + 10
			                              : -1;
			if (x < 0) {
				free(chunk);
				return false;
			}
			if (j == 0)
				hi = x;
			else
				lo = x;
		}
		b[i] = (uint8_t) (hi << 4 | lo);
	}
	*chunk        = rows->scratch;
	rows->scratch = chunk;
	out->data     = b;
	out->len      = len;
	return true;
}

static bool
read_bool(const PGresult *res, int r, int k, bool *out)
{
	const char *v = PQgetvalue(res, r, k);
	if (PQfformat(res, k) == 1) {
		if (PQgetlength(res, r, k) != 1)
			return false;
		*out = v[0] != 0;
		return true;
	}
	if (strcmp(v, "t") == 0 || strcmp(v, "true") == 0)
		*out = true;
	else if (strcmp(v, "f") == 0 || strcmp(v, "false") == 0)
		*out = false;
	else
		return false;
	return true;
}

static sn_err
read_col(sn_rows *rows, int r, size_t i, uint8_t *base)
{
	const sn_col   *c      = &rows->cols[i];
	const PGresult *res    = rows->res;
	int             k      = rows->idx[i];
	void           *dst    = base + c->offset;
	bool            isnull = PQgetisnull(res, r, k) != 0;

	if (c->has_offset != SN_COL_NOT_NULL)
		*(bool *) (base + c->has_offset) = !isnull;
	if (isnull) {
		if (c->has_offset == SN_COL_NOT_NULL)
			return col_fail(
			    c, "NULL in a column read as NOT NULL");
		memset(dst, 0, c->size);
		return SN_OK;
	}
	const char *v = PQgetvalue(res, r, k);
	int64_t     x;
	switch (c->type) {
	case SN_COL_TEXT:
		*(const char **) dst = v;
		return SN_OK;
	case SN_COL_CHARS: {
		size_t n = strlen(v);
		if (n >= c->size)
			return col_fail(c, "longer than its member");
		memcpy(dst, v, n + 1);
		return SN_OK;
	}
	case SN_COL_I64:
		if (!read_int(res, r, k, &x))
			return col_fail(c, "not an integer");
		*(int64_t *) dst = x;
		return SN_OK;
	case SN_COL_I32:
		if (!read_int(res, r, k, &x) || x < INT32_MIN || x > INT32_MAX)
			return col_fail(c, "not a 32-bit integer");
		*(int32_t *) dst = (int32_t) x;
		return SN_OK;
	case SN_COL_BOOL:
		if (!read_bool(res, r, k, (bool *) dst))
			return col_fail(c, "not a boolean");
		return SN_OK;
	case SN_COL_DATE:
		if (!read_date(res, r, k, (sn_date *) dst))
			return col_fail(c, "not a date");
		return SN_OK;
	case SN_COL_MONTH:
		if (!read_month(res, r, k, (sn_month *) dst))
			return col_fail(c, "not a month");
		return SN_OK;
	case SN_COL_BYTES:
		if (!read_bytes(rows, r, k, (sn_bytes *) dst))
			return col_fail(c, "not bytea");
		return SN_OK;
	case SN_COL_ENUM:
		for (int j = 0; c->names[j] != NULL; j++)
			if (strcmp(c->names[j], v) == 0) {
				*(int *) dst = j;
				return SN_OK;
			}
		return col_fail(c, "not one of the enum's names");
	}
	return col_fail(c, "unknown column kind");
}

sn_err
sn_rows_read(sn_rows *rows, int i, void *out)
{
	if (rows->res == NULL || i < 0 || i >= rows->nrows)
		return SN_ERANGE;
	for (size_t c = 0; c < rows->ncols; c++) {
		sn_err err = read_col(rows, i, c, out);
		if (err != SN_OK)
			return err;
	}
	return SN_OK;
}

void
sn_rows_close(sn_rows *rows)
{
	void **p = rows->scratch;
	while (p != NULL) {
		void **next = *p;
		free(p);
		p = next;
	}
	rows->scratch = NULL;
}

sn_err
sn_rows_one(const PGresult *res, const sn_col *cols, size_t ncols, void *out)
{
	sn_rows rows;
	sn_err  err = sn_rows_open(&rows, res, cols, ncols);
	if (err != SN_OK)
		return err;
	if (rows.nrows == 0)
		return SN_ENOTFOUND;
	if (rows.nrows > 1) {
		sn_log(SN_LOG_ERROR, "one row expected, more came", NULL);
		return SN_EPROTO;
	}
	for (size_t c = 0; c < ncols; c++)
		if (cols[c].type == SN_COL_BYTES
		    && PQfformat(res, rows.idx[c]) == 0) {
			/* Decoded bytes would outlive nothing: refuse rather
			 * than leak. */
			return col_fail(&cols[c],
			    "bytea in text format: use "
			    "sn_rows_open");
		}
	err = sn_rows_read(&rows, 0, out);
	sn_rows_close(&rows);
	return err;
}

sn_err
sn_rows_opt(const PGresult *res, const sn_col *cols, size_t ncols, void *out,
    bool *found)
{
	sn_err err = sn_rows_one(res, cols, ncols, out);
	*found     = err == SN_OK;
	return err == SN_ENOTFOUND ? SN_OK : err;
}

int64_t
sn_rows_affected(const PGresult *res)
{
	const char *s = PQcmdTuples((PGresult *) res);
	if (s == NULL || s[0] == '\0')
		return 0;
	return strtoll(s, NULL, 10);
}

/* ---- sn_pgarray ------------------------------------------------------- */

/* A binary array's header: dimensions, flags, element type, then one
 * dimension's length and lower bound (array_recv). Reserved at the start
 * of the buffer and written by sn_pgarray_bin. */
#define BIN_HEADER 20

void
sn_pgarray_init(sn_pgarray *a)
{
	memset(a, 0, sizeof(*a));
}

void
sn_pgarray_init_bin(sn_pgarray *a, uint32_t elem)
{
	memset(a, 0, sizeof(*a));
	a->elem = elem;
}

/* Room for n more bytes and the text form's closing "}" and NUL; the
 * first call also puts the text form's "{", or reserves the binary
 * header. */
static bool
grow(sn_pgarray *a, size_t n)
{
	if (a->failed)
		return false;
	if (a->len + n + BIN_HEADER + 2 > a->cap) {
		size_t cap = a->cap > 0 ? a->cap : 64;
		while (a->len + n + BIN_HEADER + 2 > cap)
			cap *= 2;
		char *b = realloc(a->buf, cap);
		if (b == NULL) {
			a->failed = true;
			return false;
		}
		a->buf = b;
		a->cap = cap;
	}
	if (a->len == 0 && a->elem == 0)
		a->buf[a->len++] = '{';
	else if (a->len == 0)
		a->len = BIN_HEADER;
	return true;
}

static void
put(sn_pgarray *a, const char *s, size_t n)
{
	if (!grow(a, n))
		return;
	memcpy(a->buf + a->len, s, n);
	a->len += n;
}

/* v as n bytes, big-endian: be_u64's counterpart. */
static void
be_put(char *p, uint64_t v, size_t n)
{
	for (size_t i = n; i-- > 0; v >>= 8)
		p[i] = (char) (uint8_t) v;
}

/* A binary element: its length (-1: NULL), then its bytes. */
static void
put_elem(sn_pgarray *a, const void *p, size_t n, bool null)
{
	char len[4];
	if (n > INT32_MAX - 4 || a->n >= INT32_MAX) {
		a->failed = true;
		return;
	}
	a->n++;
	a->hasnull |= null;
	be_put(len, null ? UINT32_MAX : n, 4);
	put(a, len, 4);
	if (n > 0)
		put(a, p, n);
}

static void
sep(sn_pgarray *a)
{
	if (a->n++ > 0)
		put(a, ",", 1);
	else
		put(a, "", 0);
}

void
sn_pgarray_add(sn_pgarray *a, const char *s)
{
	if (a->elem != 0) {
		if (a->elem != SN_PG_TEXT)
			a->failed = true;
		put_elem(a, s, s != NULL ? strlen(s) : 0, s == NULL);
		return;
	}
	sep(a);
	if (s == NULL) {
		put(a, "NULL", 4);
		return;
	}
	put(a, "\"", 1);
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			put(a, "\\", 1);
		put(a, p, 1);
	}
	put(a, "\"", 1);
}

void
sn_pgarray_add_i64(sn_pgarray *a, int64_t v)
{
	char buf[24];
	if (a->elem == SN_PG_INT8) {
		be_put(buf, (uint64_t) v, 8);
		put_elem(a, buf, 8, false);
		return;
	}
	if (a->elem == SN_PG_INT4) {
		if (v < INT32_MIN || v > INT32_MAX)
			a->failed = true;
		be_put(buf, (uint32_t) v, 4);
		put_elem(a, buf, 4, false);
		return;
	}
	if (a->elem != 0) {
		a->failed = true;
		return;
	}
	int n = snprintf(buf, sizeof(buf), "%" PRId64, v);
	sep(a);
	put(a, buf, (size_t) n);
}

void
sn_pgarray_add_bytes(sn_pgarray *a, const void *p, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t    *b     = p;
	if (a->elem != 0) {
		if ((a->elem != SN_PG_BYTEA && a->elem != SN_PG_UUID)
		    || (a->elem == SN_PG_UUID && len != 16))
			a->failed = true;
		put_elem(a, p, len, false);
		return;
	}
	sep(a);
	/* "\\x..." inside a quoted element: the array parser turns \\ into
	 * \, and bytea's input then reads \x and the digits. */
	put(a, "\"\\\\x", 4);
	for (size_t i = 0; i < len; i++) {
		char two[2] = { hex[b[i] >> 4], hex[b[i] & 15] };
		put(a, two, 2);
	}
	put(a, "\"", 1);
}

const char *
sn_pgarray_text(sn_pgarray *a)
{
	if (a->elem != 0 || !grow(a, 0)) /* the first writes "{" */
		return NULL;
	a->buf[a->len]     = '}';
	a->buf[a->len + 1] = '\0';
	return a->buf;
}

const char *
sn_pgarray_bin(sn_pgarray *a, int *len)
{
	if (a->elem == 0 || !grow(a, 0)) /* the first reserves the header */
		return NULL;
	if (a->len > INT32_MAX)
		return NULL;
	if (a->n == 0) { /* no dimension: the header's first 12 bytes */
		char *h = a->buf + BIN_HEADER - 12;
		be_put(h, 0, 4);
		be_put(h + 4, 0, 4);
		be_put(h + 8, a->elem, 4);
		*len = 12;
		return h;
	}
	be_put(a->buf, 1, 4);
	be_put(a->buf + 4, a->hasnull ? 1 : 0, 4);
	be_put(a->buf + 8, a->elem, 4);
	be_put(a->buf + 12, a->n, 4);
	be_put(a->buf + 16, 1, 4);
	*len = (int) a->len;
	return a->buf;
}

bool
sn_pgarray_next(const sn_pgarray *a, size_t *pos, const char **p, int32_t *len)
{
	size_t at = *pos > 0 ? *pos : BIN_HEADER;
	if (a->elem == 0 || a->failed || at + 4 > a->len)
		return false;
	*len = (int32_t) (uint32_t) be_u64((const uint8_t *) a->buf + at, 4);
	*p   = a->buf + at + 4;
	*pos = at + 4 + (*len > 0 ? (size_t) *len : 0);
	return true;
}

void
sn_pgarray_fini(sn_pgarray *a)
{
	free(a->buf);
	memset(a, 0, sizeof(*a));
}
