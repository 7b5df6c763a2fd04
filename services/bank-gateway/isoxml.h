/*
 * isoxml.h - libxml2 helpers shared by the message modules (pain001.c,
 * pain002.c, camt054.c, bankside.c, recon.c); not for callers of the
 * library, which see only iso20022.h and the message headers.
 *
 * Reading: isoxml_read parses safely and validates; the walkers below
 * then rely on the structure the XSD guarantees and look elements up by
 * local name among the children (all in the document's one namespace).
 * Writing: an isoxml_writer collects the first failure so that a builder
 * can add a whole tree and check once at the end.
 */
#ifndef BANK_GATEWAY_ISOXML_H
#define BANK_GATEWAY_ISOXML_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "iso20022.h"

/* Writes a formatted reason into why (when not NULL). */
void isoxml_why(char *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Writes unix_s as an ISODateTime in China Standard Time (UTC+8, no
 * daylight saving since 1991), "2027-01-05T09:30:00+08:00"; SN_ERANGE
 * when it is not a representable time.
 */
sn_err isoxml_format_cst(int64_t unix_s, char out[BANK_GATEWAY_ISO_DATE_MAX]);

/* Validates doc against s; SN_EPROTO with libxml2's first message. */
sn_err isoxml_validate_doc(
    const bank_gateway_iso_schema *s, xmlDocPtr doc, char *why);

/*
 * Parses xml safely (no network, no DTD, no entity substitution, at most
 * BANK_GATEWAY_ISO_MAX_BYTES) and validates it against s. *doc is the
 * caller's (xmlFreeDoc) on SN_OK. SN_EPROTO on a refusal.
 */
sn_err isoxml_read(const bank_gateway_iso_schema *s, const char *xml,
    size_t len, xmlDocPtr *doc, char *why);

/* The first element child of n named name, or NULL (n may be NULL). */
xmlNodePtr isoxml_child(xmlNodePtr n, const char *name);
/* The next element sibling of n with n's name, or NULL. */
xmlNodePtr isoxml_next(xmlNodePtr n);
/* How many elements first and its isoxml_next siblings are (0 for NULL). */
size_t isoxml_count(xmlNodePtr first);
/* isoxml_child along a path "A/B/C", or NULL. */
xmlNodePtr isoxml_path(xmlNodePtr n, const char *path);

/*
 * Copies the text of the element at path under n into buf (size len);
 * "" when there is no such element. SN_EPROTO (why says which) when the
 * text does not fit.
 */
sn_err isoxml_text(
    xmlNodePtr n, const char *path, char *buf, size_t len, char *why);

/* isoxml_text with the XML whitespace around the value removed: for the
 * XSD types whose whitespace is collapsed (dates, times, booleans). */
sn_err isoxml_token(
    xmlNodePtr n, const char *path, char *buf, size_t len, char *why);

/* The amount at path under n, in fen (bank_gateway_iso_amount_parse);
 * SN_EPROTO, with the path in why, when it is missing or not exact. */
sn_err isoxml_amount(xmlNodePtr n, const char *path, sn_fen *fen, char *why);

/*
 * The text the writers take, one character at a time. isoxml_char: the
 * length (1 to 4) of the UTF-8 character at p (a NUL-ended string) when
 * it is one XML 1.0's Char production allows (no surrogate, no U+FFFE or
 * U+FFFF, nothing past U+10FFFF; no overlong form) and not a control
 * character, else 0. Control characters (C0, tab, line feed and carriage
 * return included, DEL and C1) are refused although XML allows some of
 * them: every text written is an identifier, a name, a code or a short
 * reason, and a bank echoes identifiers back. isoxml_control: the length
 * (1 or 2) of the control character at p, else 0. isoxml_text_ok: whether
 * s is nothing but such characters.
 */
size_t isoxml_char(const unsigned char *p);
size_t isoxml_control(const unsigned char *p);
bool   isoxml_text_ok(const char *s);

/* A document being built. */
typedef struct isoxml_writer {
	xmlDocPtr doc;
	xmlNsPtr  ns;
	sn_err    err; /* the first failure, SN_OK while none */
	char     *why;
} isoxml_writer;

/*
 * Starts a document <Document xmlns="<msg's namespace>"> with a child
 * named root; returns that child, or NULL (w->err set).
 */
xmlNodePtr isoxml_begin(
    isoxml_writer *w, bank_gateway_iso_msg msg, const char *root, char *why);

/*
 * Adds <name>text</name> (text escaped by libxml2; NULL text: an empty
 * element for children to come) under parent and returns it. Text must
 * pass isoxml_text_ok (SN_EINVAL, field naming the value in the reason,
 * otherwise). NULL parent or an earlier failure: returns NULL and does
 * nothing.
 */
xmlNodePtr isoxml_add(isoxml_writer *w, xmlNodePtr parent, const char *name,
    const char *text, const char *field);

/* Adds <name Ccy="ccy">amount</name>. */
xmlNodePtr isoxml_add_amount(isoxml_writer *w, xmlNodePtr parent,
    const char *name, sn_fen fen, const char *ccy);

/*
 * Adds <name><Id><Othr><Id>id</Id></Othr></Id>[<Ccy>ccy</Ccy>]</name>,
 * an account that is not an IBAN (ccy may be NULL).
 */
xmlNodePtr isoxml_add_account(isoxml_writer *w, xmlNodePtr parent,
    const char *name, const char *id, const char *ccy, const char *field);

/*
 * Finishes: on success validates against s and serialises as UTF-8 into
 * *xml (malloc'd, NUL-terminated, the caller's: free) and *len. Frees
 * the document in every case.
 */
sn_err isoxml_end(isoxml_writer *w, const bank_gateway_iso_schema *s,
    char **xml, size_t *len);

#endif /* BANK_GATEWAY_ISOXML_H */
