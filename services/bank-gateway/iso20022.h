/*
 * iso20022.h - what bank-gateway's three ISO 20022 messages share (issue
 * 14): the schemas they are validated against, the safe reading of a
 * document from outside, and amounts as text.
 *
 * The messages: pain.001.001.09 (we pay: pain001.h), pain.002.001.10 (the
 * bank's status report: pain002.h) and camt.054.001.08 (its debit
 * notification: camt054.h). Their official XSDs are in xsd/ (README
 * there). Every document we write is validated against its XSD before
 * it is handed out; every document we read is parsed with libxml2 with
 * no network (XML_PARSE_NONET), no entity substitution and no DTD at
 * all (a DOCTYPE is refused before its internal subset is read, so no
 * entity can be declared, let alone expanded), then validated against
 * its XSD before a field is read.
 *
 * Errors: a fallible function returns sn_err and, when why is not NULL,
 * writes a one-line reason into why (BANK_GATEWAY_ISO_WHY_MAX bytes,
 * always NUL-terminated): libxml2's own message for a document that is
 * not well-formed or does not validate.
 *
 * Threads: a schema is read-only once open and may be shared by threads;
 * every other function keeps its state on the stack. The caller calls
 * bank_gateway_iso_init once before any thread uses the library.
 */
#ifndef BANK_GATEWAY_ISO20022_H
#define BANK_GATEWAY_ISO20022_H

#include <stddef.h>
#include <stdint.h>

#include "sn/err.h"
#include "sn/money.h"

/* Room for a reason, NUL included. */
#define BANK_GATEWAY_ISO_WHY_MAX 512

/* The largest document read: 64 MiB (a 10,000-payee status report is
 * about 5 MiB). */
#define BANK_GATEWAY_ISO_MAX_BYTES ((size_t) 64 * 1024 * 1024)

/* Room for a Max35Text (35 characters of up to 4 UTF-8 bytes), NUL
 * included: every identifier (MsgId, EndToEndId, ...). */
#define BANK_GATEWAY_ISO_ID_MAX 141
/* Room for a Max4Text/Max5Text code (status, reason), NUL included. */
#define BANK_GATEWAY_ISO_CODE_MAX 21
/* Room for an ISODate or ISODateTime as text, NUL included. */
#define BANK_GATEWAY_ISO_DATE_MAX 64

/* Initialises libxml2 (xmlInitParser); call once, before threads. */
void bank_gateway_iso_init(void);

/* The three messages. */
typedef enum bank_gateway_iso_msg {
	BANK_GATEWAY_PAIN001 = 0, /* pain.001.001.09 */
	BANK_GATEWAY_PAIN002,     /* pain.002.001.10 */
	BANK_GATEWAY_CAMT054,     /* camt.054.001.08 */
} bank_gateway_iso_msg;

/* "pain.001.001.09", ...: the message name, also the XSD's base name. */
const char *bank_gateway_iso_msg_name(bank_gateway_iso_msg msg);
/* "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09", ... */
const char *bank_gateway_iso_msg_ns(bank_gateway_iso_msg msg);

/* A compiled XSD. */
typedef struct bank_gateway_iso_schema bank_gateway_iso_schema;

/*
 * Compiles the XSD of msg from dir/<name>.xsd (dir: the tree's xsd/ or
 * where the service's settings put it). *out is the caller's, freed by
 * bank_gateway_iso_schema_close. SN_EIO: no such file; SN_EINVAL: the
 * file is not a schema (why says libxml2's reason).
 */
sn_err bank_gateway_iso_schema_open(const char *dir, bank_gateway_iso_msg msg,
    bank_gateway_iso_schema **out, char *why);
/* Frees s; NULL is fine. */
void bank_gateway_iso_schema_close(bank_gateway_iso_schema *s);
/* The message s validates. */
bank_gateway_iso_msg bank_gateway_iso_schema_msg(
    const bank_gateway_iso_schema *s);

/*
 * Whether the document xml (len bytes, any encoding its declaration
 * names) is well-formed, has no DTD and validates against s. SN_OK, or
 * SN_EPROTO with why naming the first problem libxml2 found.
 */
sn_err bank_gateway_iso_validate(
    const bank_gateway_iso_schema *s, const char *xml, size_t len, char *why);

/* Room for an amount as text: 18 digits, '.', NUL. */
#define BANK_GATEWAY_ISO_AMOUNT_MAX 24

/*
 * fen as an ISO 20022 decimal in yuan with exactly two decimals: 123456
 * -> "1234.56", 5 -> "0.05", 0 -> "0.00". Integer arithmetic only.
 * SN_ERANGE for a negative amount (ISO amounts are never negative; the
 * direction is a separate field).
 */
sn_err bank_gateway_iso_amount_format(
    sn_fen fen, char buf[BANK_GATEWAY_ISO_AMOUNT_MAX]);

/*
 * An ISO 20022 amount (xs:decimal, whitespace collapsed: an optional '+',
 * digits, an optional '.' and up to 5 decimals, as the schemas allow) to
 * fen, exactly: "1234.56" -> 123456, "800" -> 80000, "0.10000" -> 10,
 * ".5" -> 50. SN_EINVAL for anything else, for a '-' (no ISO amount is
 * negative) and for a fraction of a fen ("0.001"); SN_ERANGE past
 * INT64_MAX fen. *fen is set only on SN_OK.
 */
sn_err bank_gateway_iso_amount_parse(const char *text, sn_fen *fen);

#endif /* BANK_GATEWAY_ISO20022_H */
