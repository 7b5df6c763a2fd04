/*
 * kit.h - what bank-gateway's unit tests share: the tree's schemas
 * (BG_XSD_DIR) and sample documents (BG_DATA_DIR), the teardown of a
 * one-schema group, and reading a value out of a document by XPath.
 * Include after cmocka.h.
 */
#ifndef BANK_GATEWAY_TEST_KIT_H
#define BANK_GATEWAY_TEST_KIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "iso20022.h"

/* The schema of msg, compiled from the tree's xsd/. */
static inline bank_gateway_iso_schema *
kit_schema(bank_gateway_iso_msg msg)
{
	bank_gateway_iso_schema *s                             = NULL;
	char                     why[BANK_GATEWAY_ISO_WHY_MAX] = "";

	bank_gateway_iso_init();
	if (bank_gateway_iso_schema_open(BG_XSD_DIR, msg, &s, why) != SN_OK) {
		fail_msg("schema %s: %s", bank_gateway_iso_msg_name(msg), why);
	}
	return s;
}

/* The whole of tests/data/name, NUL-terminated; the caller frees. */
static inline char *
kit_sample(const char *name, size_t *len)
{
	char  path[1024];
	FILE *f;
	char *buf;
	long  n;

	snprintf(path, sizeof path, "%s/%s", BG_DATA_DIR, name);
	assert_non_null(f = fopen(path, "rb"));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	assert_true((n = ftell(f)) > 0);
	rewind(f);
	assert_non_null(buf = malloc((size_t) n + 1));
	assert_int_equal(fread(buf, 1, (size_t) n, f), (size_t) n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t) n;
	return buf;
}

/* The group teardown of a test whose *state is one kit_schema. */
static inline int
kit_schema_teardown(void **state)
{
	bank_gateway_iso_schema_close(*state);
	return 0;
}

/* An XPath evaluated over a parsed document; kit_query_end frees it. */
typedef struct kit_query {
	xmlDocPtr          doc;
	xmlXPathContextPtr x;
	xmlXPathObjectPtr  o;
} kit_query;

/* Evaluates expr over xml ("d:" the namespace of msg); returns how many
 * nodes it selects. */
static inline int
kit_query_begin(kit_query *q, const char *xml, size_t len,
    bank_gateway_iso_msg msg, const char *expr)
{
	assert_non_null(q->doc
	    = xmlReadMemory(xml, (int) len, NULL, NULL, XML_PARSE_NONET));
	assert_non_null(q->x = xmlXPathNewContext(q->doc));
	xmlXPathRegisterNs(
	    q->x, BAD_CAST "d", BAD_CAST bank_gateway_iso_msg_ns(msg));
	assert_non_null(q->o = xmlXPathEvalExpression(BAD_CAST expr, q->x));
	return q->o->nodesetval != NULL ? q->o->nodesetval->nodeNr : 0;
}

static inline void
kit_query_end(kit_query *q)
{
	xmlXPathFreeObject(q->o);
	xmlXPathFreeContext(q->x);
	xmlFreeDoc(q->doc);
}

/*
 * The text of the node expr selects in xml ("d:" the namespace of msg),
 * into buf; fails the test when it selects nothing.
 */
static inline const char *
kit_xpath(const char *xml, size_t len, bank_gateway_iso_msg msg,
    const char *expr, char *buf, size_t size)
{
	kit_query q;
	xmlChar  *t;

	if (kit_query_begin(&q, xml, len, msg, expr) < 1) {
		fail_msg("nothing at %s", expr);
	}
	t = xmlNodeGetContent(q.o->nodesetval->nodeTab[0]);
	snprintf(buf, size, "%s", (const char *) t);
	xmlFree(t);
	kit_query_end(&q);
	return buf;
}

/* How many nodes expr selects. */
static inline int
kit_xpath_count(
    const char *xml, size_t len, bank_gateway_iso_msg msg, const char *expr)
{
	kit_query q;
	int       n = kit_query_begin(&q, xml, len, msg, expr);

	kit_query_end(&q);
	return n;
}

#endif /* BANK_GATEWAY_TEST_KIT_H */
