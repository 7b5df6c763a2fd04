/*
 * iso20022.c - schemas, safe reading, amounts, and the tree helpers of
 * isoxml.h.
 */
#include "iso20022.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "isoxml.h"
#include "sn/input.h"

struct bank_gateway_iso_schema {
	bank_gateway_iso_msg msg;
	xmlSchemaPtr         schema;
};

static const char *const names[] = {
	[BANK_GATEWAY_PAIN001] = "pain.001.001.09",
	[BANK_GATEWAY_PAIN002] = "pain.002.001.10",
	[BANK_GATEWAY_CAMT054] = "camt.054.001.08",
};

static const char *const namespaces[] = {
	[BANK_GATEWAY_PAIN001]
	= "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09",
	[BANK_GATEWAY_PAIN002]
	= "urn:iso:std:iso:20022:tech:xsd:pain.002.001.10",
	[BANK_GATEWAY_CAMT054]
	= "urn:iso:std:iso:20022:tech:xsd:camt.054.001.08",
};

void
bank_gateway_iso_init(void)
{
	xmlInitParser();
}

const char *
bank_gateway_iso_msg_name(bank_gateway_iso_msg msg)
{
	return names[msg];
}

const char *
bank_gateway_iso_msg_ns(bank_gateway_iso_msg msg)
{
	return namespaces[msg];
}

void
isoxml_why(char *why, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(why, BANK_GATEWAY_ISO_WHY_MAX, fmt, ap);
	va_end(ap);
}

/* China Standard Time has had no daylight saving since 1991. */
#define CST_OFFSET_S (8 * 3600)

sn_err
isoxml_format_cst(int64_t unix_s, char out[BANK_GATEWAY_ISO_DATE_MAX])
{
	time_t    t = (time_t) (unix_s + CST_OFFSET_S);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL
	    || strftime(out, BANK_GATEWAY_ISO_DATE_MAX,
	           "%Y-%m-%dT%H:%M:%S+08:00", &tm)
	        == 0) {
		return SN_ERANGE;
	}
	return SN_OK;
}

/* The same-named element siblings of n before it, and whether any
 * follows it. */
static int
sibling_index(xmlNodePtr n, bool *more)
{
	xmlNodePtr c;
	int        k = 1;

	*more = false;
	for (c = n->prev; c != NULL; c = c->prev) {
		k += c->type == XML_ELEMENT_NODE
		    && xmlStrEqual(c->name, n->name);
	}
	for (c = n->next; c != NULL && !*more; c = c->next) {
		*more = c->type == XML_ELEMENT_NODE
		    && xmlStrEqual(c->name, n->name);
	}
	return k;
}

/* "/Document/CstmrCdtTrfInitn/PmtInf[2]/CdtTrfTxInf[7]/PmtId/EndToEndId":
 * which payment a message on a built tree is about (libxml2's own
 * xmlGetNodePath says "*" for names in a default namespace). */
static void
node_path(void *node, char *buf, size_t len)
{
	xmlNodePtr up[32], n;
	size_t     depth = 0, used = 0;
	bool       more;
	int        k, w;

	for (n = node; n != NULL && n->type == XML_ELEMENT_NODE && depth < 32;
	     n = n->parent) {
		up[depth++] = n;
	}
	buf[0] = '\0';
	while (depth > 0 && used < len) {
		n = up[--depth];
		k = sibling_index(n, &more);
		w = (k > 1 || more) ? snprintf(buf + used, len - used,
		        "/%s[%d]", (const char *) n->name, k)
		                    : snprintf(buf + used, len - used, "/%s",
		                        (const char *) n->name);
		used += w > 0 ? (size_t) w : 0;
	}
}

/*
 * libxml2's error as one line: "line 12: Element '...': ...", or, for a
 * tree we built (no line), "... (at /Document/.../CdtTrfTxInf[2]/...)".
 */
static void
why_from_error(char *why, const xmlError *e)
{
	char   msg[BANK_GATEWAY_ISO_WHY_MAX];
	char   path[256];
	size_t n, i;

	snprintf(msg, sizeof msg, "%s",
	    e != NULL && e->message != NULL ? e->message : "unknown error");
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) {
		msg[--n] = '\0';
	}
	for (i = 0; i < n; i++) {
		if (msg[i] == '\n') {
			msg[i] = ' ';
		}
	}
	if (e != NULL && e->line > 0) {
		isoxml_why(why, "line %d: %s", e->line, msg);
	} else if (e != NULL && e->node != NULL) {
		node_path(e->node, path, sizeof path);
		isoxml_why(why, "%s (at %s)", msg, path);
	} else {
		isoxml_why(why, "%s", msg);
	}
}

/* Keeps the first structured error of a schema parse or validation. */
typedef struct first_error {
	bool seen;
	char why[BANK_GATEWAY_ISO_WHY_MAX];
} first_error;

static void
keep_first(void *ctx, xmlErrorPtr e)
{
	first_error *f = ctx;

	if (!f->seen) {
		f->seen = true;
		why_from_error(f->why, e);
	}
}

sn_err
bank_gateway_iso_schema_open(const char *dir, bank_gateway_iso_msg msg,
    bank_gateway_iso_schema **out, char *why)
{
	char                     path[4096];
	xmlSchemaParserCtxtPtr   pc;
	first_error              f = { .seen = false };
	bank_gateway_iso_schema *s;
	FILE                    *probe;

	if ((size_t) snprintf(path, sizeof path, "%s/%s.xsd", dir, names[msg])
	    >= sizeof path) {
		isoxml_why(why, "schema folder name too long");
		return SN_EINVAL;
	}
	if ((probe = fopen(path, "rb")) == NULL) {
		isoxml_why(why, "cannot open %s", path);
		return SN_EIO;
	}
	fclose(probe);
	if ((s = calloc(1, sizeof *s)) == NULL) {
		return SN_ENOMEM;
	}
	s->msg = msg;
	if ((pc = xmlSchemaNewParserCtxt(path)) == NULL) {
		free(s);
		return SN_ENOMEM;
	}
	xmlSchemaSetParserStructuredErrors(pc, keep_first, &f);
	s->schema = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	if (s->schema == NULL) {
		isoxml_why(why, "%s is not a usable schema: %s", path,
		    f.seen ? f.why : "unknown error");
		free(s);
		return SN_EINVAL;
	}
	*out = s;
	return SN_OK;
}

void
bank_gateway_iso_schema_close(bank_gateway_iso_schema *s)
{
	if (s == NULL) {
		return;
	}
	xmlSchemaFree(s->schema);
	free(s);
}

bank_gateway_iso_msg
bank_gateway_iso_schema_msg(const bank_gateway_iso_schema *s)
{
	return s->msg;
}

sn_err
isoxml_validate_doc(const bank_gateway_iso_schema *s, xmlDocPtr doc, char *why)
{
	xmlSchemaValidCtxtPtr vc;
	first_error           f = { .seen = false };
	int                   rc;

	if ((vc = xmlSchemaNewValidCtxt(s->schema)) == NULL) {
		return SN_ENOMEM;
	}
	xmlSchemaSetValidStructuredErrors(vc, keep_first, &f);
	rc = xmlSchemaValidateDoc(vc, doc);
	xmlSchemaFreeValidCtxt(vc);
	if (rc != 0) {
		isoxml_why(why, "not a valid %s document: %s", names[s->msg],
		    f.seen ? f.why : "libxml2 gave no reason");
		return SN_EPROTO;
	}
	return SN_OK;
}

/* Set by refuse_dtd through the parser context's _private. */
typedef struct read_state {
	bool dtd;
} read_state;

/*
 * SAX: a DOCTYPE declaration. Called once its name and external ids are
 * read, before its internal subset: stopping here means no entity of
 * the document is ever declared, loaded or expanded.
 */
static void
refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *external_id,
    const xmlChar *system_id)
{
	xmlParserCtxtPtr pc = ctx;
	read_state      *st = pc->_private;

	(void) name;
	(void) external_id;
	(void) system_id;
	if (st != NULL) {
		st->dtd = true;
	}
	xmlStopParser(pc);
}

sn_err
isoxml_read(const bank_gateway_iso_schema *s, const char *xml, size_t len,
    xmlDocPtr *doc, char *why)
{
	xmlParserCtxtPtr pc;
	read_state       st = { .dtd = false };
	xmlDocPtr        d;
	sn_err           err;

	if (xml == NULL || len == 0) {
		isoxml_why(why, "empty document");
		return SN_EPROTO;
	}
	if (len > BANK_GATEWAY_ISO_MAX_BYTES || len > INT_MAX) {
		isoxml_why(why, "document of %zu bytes, over the limit of %zu",
		    len, BANK_GATEWAY_ISO_MAX_BYTES);
		return SN_EPROTO;
	}
	if ((pc = xmlNewParserCtxt()) == NULL) {
		return SN_ENOMEM;
	}
	pc->sax->internalSubset = refuse_dtd;
	pc->_private            = &st;
	/* No XML_PARSE_NOENT (no substitution), DTDLOAD, DTDATTR, XINCLUDE
	 * or HUGE; NONET in case anything still tried to fetch. */
	d = xmlCtxtReadMemory(pc, xml, (int) len, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (d == NULL || st.dtd || d->intSubset != NULL) {
		if (st.dtd || (d != NULL && d->intSubset != NULL)) {
			isoxml_why(why,
			    "a DOCTYPE (DTD) is not allowed in an "
			    "ISO 20022 message");
		} else {
			char m[BANK_GATEWAY_ISO_WHY_MAX];

			why_from_error(m, xmlCtxtGetLastError(pc));
			isoxml_why(why, "not well-formed XML: %s", m);
		}
		xmlFreeDoc(d);
		xmlFreeParserCtxt(pc);
		return SN_EPROTO;
	}
	xmlFreeParserCtxt(pc);
	if ((err = isoxml_validate_doc(s, d, why)) != SN_OK) {
		xmlFreeDoc(d);
		return err;
	}
	*doc = d;
	return SN_OK;
}

sn_err
bank_gateway_iso_validate(
    const bank_gateway_iso_schema *s, const char *xml, size_t len, char *why)
{
	xmlDocPtr doc;
	sn_err    err;

	if ((err = isoxml_read(s, xml, len, &doc, why)) != SN_OK) {
		return err;
	}
	xmlFreeDoc(doc);
	return SN_OK;
}

/* --- amounts --------------------------------------------------------------
 */

sn_err
bank_gateway_iso_amount_format(
    sn_fen fen, char buf[BANK_GATEWAY_ISO_AMOUNT_MAX])
{
	if (fen < 0) {
		return SN_ERANGE;
	}
	snprintf(buf, BANK_GATEWAY_ISO_AMOUNT_MAX, "%lld.%02lld",
	    (long long) (fen / SN_FEN_PER_YUAN),
	    (long long) (fen % SN_FEN_PER_YUAN));
	return SN_OK;
}

static bool
xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Adds digit d to *v (v * 10 + d), false past INT64_MAX. */
static bool
push_digit(int64_t *v, int d)
{
	if (*v > (INT64_MAX - d) / 10) {
		return false;
	}
	*v = *v * 10 + d;
	return true;
}

sn_err
bank_gateway_iso_amount_parse(const char *text, sn_fen *fen)
{
	const char *p    = text;
	int64_t     yuan = 0, frac = 0;
	int         digits = 0, decimals = 0;

	while (xml_space(*p)) {
		p++;
	}
	if (*p == '+') {
		p++;
	}
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (!push_digit(&yuan, *p - '0')) {
			return SN_ERANGE;
		}
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++, decimals++) {
			if (decimals >= 5 || (decimals >= 2 && *p != '0')) {
				return SN_EINVAL;
			}
			if (decimals < 2) {
				frac = frac * 10 + (*p - '0');
			}
		}
	}
	while (xml_space(*p)) {
		p++;
	}
	if (digits == 0 || *p != '\0') {
		return SN_EINVAL;
	}
	if (decimals == 1) {
		frac *= 10;
	}
	if (yuan > (INT64_MAX - frac) / SN_FEN_PER_YUAN) {
		return SN_ERANGE;
	}
	*fen = yuan * SN_FEN_PER_YUAN + frac;
	return SN_OK;
}

/* --- walking a validated tree ---------------------------------------------
 */

static bool
named(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE
	    && strcmp((const char *) n->name, name) == 0;
}

xmlNodePtr
isoxml_child(xmlNodePtr n, const char *name)
{
	xmlNodePtr c;

	if (n == NULL) {
		return NULL;
	}
	for (c = n->children; c != NULL; c = c->next) {
		if (named(c, name)) {
			return c;
		}
	}
	return NULL;
}

xmlNodePtr
isoxml_next(xmlNodePtr n)
{
	xmlNodePtr c;

	for (c = n->next; c != NULL; c = c->next) {
		if (named(c, (const char *) n->name)) {
			return c;
		}
	}
	return NULL;
}

size_t
isoxml_count(xmlNodePtr first)
{
	size_t n = 0;

	for (; first != NULL; first = isoxml_next(first)) {
		n++;
	}
	return n;
}

xmlNodePtr
isoxml_path(xmlNodePtr n, const char *path)
{
	char        part[64];
	const char *p = path, *slash;
	size_t      k;

	while (n != NULL && *p != '\0') {
		slash = strchr(p, '/');
		k     = slash != NULL ? (size_t) (slash - p) : strlen(p);
		if (k >= sizeof part) {
			return NULL;
		}
		memcpy(part, p, k);
		part[k] = '\0';
		n       = isoxml_child(n, part);
		p += k + (slash != NULL ? 1 : 0);
	}
	return n;
}

sn_err
isoxml_text(xmlNodePtr n, const char *path, char *buf, size_t len, char *why)
{
	xmlNodePtr e = isoxml_path(n, path);
	xmlChar   *t;
	size_t     k;

	buf[0] = '\0';
	if (e == NULL) {
		return SN_OK;
	}
	if ((t = xmlNodeGetContent(e)) == NULL) {
		return SN_ENOMEM;
	}
	k = strlen((const char *) t);
	if (k >= len) {
		xmlFree(t);
		isoxml_why(why, "line %ld: %s is %zu bytes, over %zu",
		    xmlGetLineNo(e), path, k, len - 1);
		return SN_EPROTO;
	}
	memcpy(buf, t, k + 1);
	xmlFree(t);
	return SN_OK;
}

sn_err
isoxml_token(xmlNodePtr n, const char *path, char *buf, size_t len, char *why)
{
	size_t a = 0, b;
	sn_err err;

	if ((err = isoxml_text(n, path, buf, len, why)) != SN_OK) {
		return err;
	}
	b = strlen(buf);
	while (b > 0 && xml_space(buf[b - 1])) {
		buf[--b] = '\0';
	}
	while (xml_space(buf[a])) {
		a++;
	}
	memmove(buf, buf + a, b - a + 1);
	return SN_OK;
}

sn_err
isoxml_amount(xmlNodePtr n, const char *path, sn_fen *fen, char *why)
{
	char   text[64];
	sn_err err;

	if ((err = isoxml_text(n, path, text, sizeof text, why)) != SN_OK) {
		return err;
	}
	if (bank_gateway_iso_amount_parse(text, fen) != SN_OK) {
		isoxml_why(why,
		    "line %ld: %s \"%s\" is not an exact amount in fen",
		    xmlGetLineNo(isoxml_path(n, path)), path, text);
		return SN_EPROTO;
	}
	return SN_OK;
}

/* --- building a document --------------------------------------------------
 */

xmlNodePtr
isoxml_begin(
    isoxml_writer *w, bank_gateway_iso_msg msg, const char *root, char *why)
{
	xmlNodePtr d;

	w->err = SN_ENOMEM;
	w->why = why;
	w->ns  = NULL;
	if ((w->doc = xmlNewDoc(BAD_CAST "1.0")) == NULL
	    || (d = xmlNewNode(NULL, BAD_CAST "Document")) == NULL) {
		return NULL;
	}
	xmlDocSetRootElement(w->doc, d);
	if ((w->ns = xmlNewNs(d, BAD_CAST namespaces[msg], NULL)) == NULL) {
		return NULL;
	}
	xmlSetNs(d, w->ns);
	w->err = SN_OK;
	return isoxml_add(w, d, root, NULL, root);
}

size_t
isoxml_control(const unsigned char *p)
{
	if (p[0] < 0x20 || p[0] == 0x7f) {
		return 1; /* C0, DEL */
	}
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
		return 2; /* C1, U+0080..U+009F */
	}
	return 0;
}

size_t
isoxml_char(const unsigned char *p)
{
	/* sn_utf8_seq refuses what is not UTF-8, surrogates and code points
	 * past U+10FFFF; of XML's Char that leaves U+FFFE and U+FFFF. */
	size_t k = sn_utf8_seq(p);

	if (k == 0 || isoxml_control(p) != 0
	    || (k == 3 && p[0] == 0xef && p[1] == 0xbf
	        && (p[2] == 0xbe || p[2] == 0xbf))) {
		return 0;
	}
	return k;
}

bool
isoxml_text_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t               k;

	while (*p != '\0') {
		if ((k = isoxml_char(p)) == 0) {
			return false;
		}
		p += k;
	}
	return true;
}

xmlNodePtr
isoxml_add(isoxml_writer *w, xmlNodePtr parent, const char *name,
    const char *text, const char *field)
{
	xmlNodePtr n;

	if (parent == NULL || w->err != SN_OK) {
		return NULL;
	}
	if (text != NULL && !isoxml_text_ok(text)) {
		w->err = SN_EINVAL;
		isoxml_why(w->why,
		    "%s is not UTF-8 text of characters XML allows, without "
		    "control characters",
		    field);
		return NULL;
	}
	n = xmlNewTextChild(
	    parent, w->ns, BAD_CAST name, (const xmlChar *) text);
	if (n == NULL) {
		w->err = SN_ENOMEM;
	}
	return n;
}

xmlNodePtr
isoxml_add_amount(isoxml_writer *w, xmlNodePtr parent, const char *name,
    sn_fen fen, const char *ccy)
{
	char       a[BANK_GATEWAY_ISO_AMOUNT_MAX];
	xmlNodePtr n;

	if (w->err != SN_OK || parent == NULL) {
		return NULL;
	}
	if (bank_gateway_iso_amount_format(fen, a) != SN_OK) {
		w->err = SN_ERANGE;
		isoxml_why(w->why, "%s: a negative amount (%lld fen)", name,
		    (long long) fen);
		return NULL;
	}
	if ((n = isoxml_add(w, parent, name, a, name)) != NULL
	    && xmlNewProp(n, BAD_CAST "Ccy", BAD_CAST ccy) == NULL) {
		w->err = SN_ENOMEM;
		return NULL;
	}
	return n;
}

xmlNodePtr
isoxml_add_account(isoxml_writer *w, xmlNodePtr parent, const char *name,
    const char *id, const char *ccy, const char *field)
{
	xmlNodePtr a = isoxml_add(w, parent, name, NULL, field);
	xmlNodePtr o = isoxml_add(
	    w, isoxml_add(w, a, "Id", NULL, field), "Othr", NULL, field);

	isoxml_add(w, o, "Id", id, field);
	if (ccy != NULL) {
		isoxml_add(w, a, "Ccy", ccy, field);
	}
	return a;
}

sn_err
isoxml_end(isoxml_writer *w, const bank_gateway_iso_schema *s, char **xml,
    size_t *len)
{
	xmlChar *buf = NULL;
	int      n   = 0;
	sn_err   err = w->err;

	if (err == SN_OK) {
		err = isoxml_validate_doc(s, w->doc, w->why);
	}
	if (err == SN_OK) {
		xmlDocDumpFormatMemoryEnc(w->doc, &buf, &n, "UTF-8", 1);
		if (buf == NULL || n <= 0) {
			err = SN_ENOMEM;
		}
	}
	if (err == SN_OK) {
		/* Handed out as the caller's malloc'd bytes, not xmlFree's. */
		if ((*xml = malloc((size_t) n + 1)) == NULL) {
			err = SN_ENOMEM;
		} else {
			memcpy(*xml, buf, (size_t) n);
			(*xml)[n] = '\0';
			*len      = (size_t) n;
		}
	}
	xmlFree(buf);
	xmlFreeDoc(w->doc);
	w->doc = NULL;
	return err;
}
