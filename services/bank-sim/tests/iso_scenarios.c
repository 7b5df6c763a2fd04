/*
 * bank-sim's ISO 20022 scenarios (issue 14): the real bank-sim binary,
 * PostgreSQL (its book read straight from its schema), and a blocking
 * HTTPS client posting pain.001 documents written by bank-gateway's own
 * writer (pain001.c) and reading the answers with its readers (pain002.c,
 * camt054.c), so that what bank-sim says is what the gateway will read.
 * One ctest each (bank-sim.iso_<name>):
 *
 *   settle        a two-block message settles at once: ACSC at every
 *                 level with the bank's reference, one book row per
 *                 payment with its MsgId, PmtInfId, InstrId and debtor
 *                 account; GET pain.002 answers the same under a new
 *                 report MsgId; an unknown MsgId is 404.
 *   settle_later  SETTLE_MS: ACCP at once (and by GET), ACSC by GET after
 *                 the timer settled them.
 *   rejects       every reason: AC01 (OPEN_ALL=0), AC04, AC06, MD07,
 *                 BE01, AM12 (a fraction of a fen, another currency):
 *                 TxSts RJCT with the code, PmtInfSts and GrpSts PART, a
 *                 message of rejections only RJCT; none credited.
 *   invalid       not well-formed, a DTD, not valid against the XSD:
 *                 GrpSts RJCT FF01 with libxml2's reason (at most 105
 *                 characters), OrgnlMsgId the MsgId when readable else
 *                 NOTPROVIDED, nothing stored; another Content-Type 415.
 *   totals        NbOfTxs or CtrlSum not matching: RJCT AM18 / AM16,
 *                 nothing stored; corrected under the same MsgId, taken.
 *   msgid_repeat  the same MsgId and document again: the current report,
 *                 nothing stored again, counted as repeated; the same
 *                 MsgId with another document: RJCT DU01, nothing stored.
 *   duplicate     an end-to-end id booked by an earlier message (or twice
 *                 in one) is answered with its stored status and booked
 *                 once, counted; one stored RJCT is judged anew in a new
 *                 message, while the first message's report keeps its
 *                 RJCT.
 *   am04          a fund account's balance (fixture) short for a block:
 *                 every transaction RJCT AM04, PmtInfSts RJCT AM04, nothing
 *                 debited, another block of the message from an unlimited
 *                 account settles; the same ids in a smaller message
 *                 later settle; foreign entries count against the balance.
 *   drop          DROP_PERCENT=100: no answer within the client's time,
 *                 yet stored; a patient client gets 503 after the hold,
 *                 never the report; GET pain.002 has it; restarted
 *                 without drops, the same document again gets the stored
 *                 report, paid once.
 *   crash         CRASH_AFTER=1: the process exits 1 after committing
 *                 and before answering; restarted, the same document gets
 *                 the stored report, paid once.
 *   camt054       a day's statement of the debtor account: one BOOK DBIT
 *                 entry per settled payment with its references and the
 *                 bank's reference, read by camt054.c; another day or
 *                 account empty; bad queries 400; a foreign entry (201,
 *                 200 again, 409 changed, 422 bad) appears with its id.
 *   omit          STATEMENT_OMIT_PERCENT=50: some settled payments are
 *                 left out, the same ones on every fetch, and the credits
 *                 say which (in_statement).
 *   large         a 2,000-payee message (over sn_http's default body
 *                 limit) is taken whole; with MAX_REQUEST_BYTES below its
 *                 size, 413 and nothing stored.
 *   client_cert   the ISO routes answer only the gateway's client
 *                 certificate (SN_HTTP_CLIENT_CA_FILE): none, or one of
 *                 another CA, is 403 client_certificate_required with
 *                 nothing stored; the simulator's own routes take none.
 *
 * Every scenario runs bank-sim over HTTPS with its certificate and
 * SN_HTTP_CLIENT_CA_FILE, and calls the ISO routes as bank-gateway does,
 * with libcurl and the gateway's client certificate.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "camt054.h"
#include "harness.h"
#include "pain001.h"
#include "pain002.h"

#ifndef SN_BANK_SIM_BIN
#define SN_BANK_SIM_BIN "bank-sim"
#endif

#define MAXT 2100
#define MAXF 4
#define XML_CT "application/xml; charset=utf-8"
#define FUND "110000000000000000001"
#define FUND2 "110000000000000000002"

/* The client certificate bank-sim asks of the ISO routes' caller. */
#define GATEWAY "gateway"

static th                       T;
static int                      http_port;
static char                     port_env[32];
static char                     tls_env[4][600];
static bank_gateway_iso_schema *s001, *s002, *s054;

/* ---- the process -------------------------------------------------------- */

static th_proc *
start_bank(const char *const *extra)
{
	const char *env[16];
	int         n = 0;
	env[n++]      = port_env;
	for (int i = 0; i < 4; i++)
		env[n++] = tls_env[i];
	for (int i = 0; extra != NULL && extra[i] != NULL; i++)
		env[n++] = extra[i];
	env[n]             = NULL;
	const char *argv[] = { SN_BANK_SIM_BIN, NULL };
	th_proc    *p = th_spawn(&T, "bank-sim", SN_BANK_SIM_BIN, argv, env);
	TH_CHECK(
	    &T, th_wait_ready(&T, http_port, 30000), "bank-sim is not ready");
	return p;
}

static const char *
S(void)
{
	return th_schema(&T, "bank-sim");
}

static void
schemas(void)
{
	char why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	bank_gateway_iso_init();
	TH_CHECK(&T,
	    bank_gateway_iso_schema_open(BG_XSD_DIR, BANK_GATEWAY_PAIN001,
	        &s001,
	        why) == SN_OK
	        && bank_gateway_iso_schema_open(
	               BG_XSD_DIR, BANK_GATEWAY_PAIN002, &s002, why)
	            == SN_OK
	        && bank_gateway_iso_schema_open(
	               BG_XSD_DIR, BANK_GATEWAY_CAMT054, &s054, why)
	            == SN_OK,
	    "schemas: %s", why);
}

/*
 * HTTPS as bank-gateway calls it: bank-sim's certificate of the bank's
 * CA ("bank-sim", which the test's calls trust: SN_CLIENT_CA_FILE), and
 * the ISO routes answering only a client certificate of the gateway's CA
 * (SN_HTTP_CLIENT_CA_FILE): "gateway"; "rogue-gateway" is of another CA.
 */
static void
certificates(void)
{
	static char ca[400];
	th_tls_make_ca(&T, "bank");
	th_tls_make_ca(&T, "gw");
	th_tls_make_ca(&T, "rogue");
	th_tls_make_cert(&T, "bank", "bank-sim", "bank-sim");
	th_tls_make_cert(&T, "gw", "bank-gateway", GATEWAY);
	th_tls_make_cert(&T, "rogue", "bank-gateway", "rogue-gateway");
	snprintf(tls_env[0], sizeof(tls_env[0]),
	    "SN_TLS_CERT_FILE=%s/bank-sim.pem", T.run_dir);
	snprintf(tls_env[1], sizeof(tls_env[1]),
	    "SN_TLS_KEY_FILE=%s/bank-sim.key", T.run_dir);
	snprintf(tls_env[2], sizeof(tls_env[2]),
	    "SN_TLS_CA_FILE=%s/bank-ca.pem", T.run_dir);
	snprintf(tls_env[3], sizeof(tls_env[3]),
	    "SN_HTTP_CLIENT_CA_FILE=%s/gw-ca.pem", T.run_dir);
	snprintf(ca, sizeof(ca), "%s/bank-ca.pem", T.run_dir);
	setenv("SN_CLIENT_CA_FILE", ca, 1);
}

static void
setup(void)
{
	http_port = th_free_port();
	snprintf(port_env, sizeof(port_env), "SN_HTTP_PORT=%d", http_port);
	TH_CHECK(&T, curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK,
	    "curl_global_init");
	certificates();
	schemas();
}

static void
done(void)
{
	bank_gateway_iso_schema_close(s001);
	bank_gateway_iso_schema_close(s002);
	bank_gateway_iso_schema_close(s054);
	curl_global_cleanup();
}

static const char *
write_fixture(void)
{
	static char path[400];
	snprintf(path, sizeof(path), "%s/accounts.json", T.run_dir);
	FILE *f = fopen(path, "w");
	TH_CHECK(&T, f != NULL, "cannot write the fixture");
	fputs("{\"6222000000000001\": {\"name\": \"张三\"},"
	      " \"6222000000000002\": {\"name\": \"李四\", \"state\":"
	      " \"closed\"},"
	      " \"6222000000000003\": {\"name\": \"王五\", \"state\":"
	      " \"blocked\"},"
	      " \"6222000000000004\": {\"name\": \"赵六\", \"state\":"
	      " \"deceased\"},"
	      " \"6222000000000005\": {\"name\": \"钱七\"},"
	      " \"" FUND "\": {\"name\": \"示例区民政局\", \"balance_fen\":"
	      " 100000}}",
	    f);
	fclose(f);
	return path;
}

/* bank-sim with the fixture and one more setting (NULL: none). */
static th_proc *
start_bank_fixture(const char *more)
{
	char fixenv[500];
	snprintf(
	    fixenv, sizeof(fixenv), "SN_BANK_SIM_FIXTURE=%s", write_fixture());
	const char *env[] = { fixenv, more, NULL };
	return start_bank(env);
}

/* ---- HTTP --------------------------------------------------------------- */

/* A response body as it arrives. */
typedef struct buf {
	char  *p;
	size_t len, cap;
} buf;

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	buf   *b    = arg;
	size_t take = size * n;
	if (b->len + take + 1 > b->cap) {
		b->cap = (b->len + take + 1) * 2;
		b->p   = realloc(b->p, b->cap);
		TH_CHECK(&T, b->p != NULL, "out of memory");
	}
	memcpy(b->p + b->len, p, take);
	b->len += take;
	b->p[b->len] = '\0';
	return take;
}

/*
 * One HTTPS request to bank-sim with libcurl, as bank-gateway makes it:
 * trusting the bank's CA and checking its name, presenting the client
 * certificate cert (NULL: none) with its key, with a body of ctype (NULL:
 * none). Returns the status, or -1 when nothing answered within
 * timeout_ms; *out (may be NULL) the body, malloc'd.
 */
static int
https(const char *cert, const char *method, const char *path,
    const char *ctype, const char *body, size_t blen, char **out, size_t *olen,
    int timeout_ms)
{
	char               url[512], resolve[64], ca[512], crt[512], key[512];
	char               ct[128];
	buf                b  = { NULL, 0, 0 };
	long               st = -1;
	struct curl_slist *rs, *hs = NULL;
	CURL              *c = curl_easy_init();
	TH_CHECK(&T, c != NULL, "curl_easy_init");
	snprintf(url, sizeof(url), "https://bank-sim:%d%s", http_port, path);
	snprintf(resolve, sizeof(resolve), "bank-sim:%d:127.0.0.1", http_port);
	snprintf(ca, sizeof(ca), "%s/bank-ca.pem", T.run_dir);
	rs = curl_slist_append(NULL, resolve);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_RESOLVE, rs);
	curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long) timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* threads: concurrent */
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (cert != NULL) {
		snprintf(crt, sizeof(crt), "%s/%s.pem", T.run_dir, cert);
		snprintf(key, sizeof(key), "%s/%s.key", T.run_dir, cert);
		curl_easy_setopt(c, CURLOPT_SSLCERT, crt);
		curl_easy_setopt(c, CURLOPT_SSLKEY, key);
	}
	if (ctype != NULL) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
		hs = curl_slist_append(hs, ct);
		/* A large body waits for 100 Continue, so that a refusal
		 * sent from the headers (413) is read, not lost in a reset;
		 * a small one goes at once. It waits as long as the request
		 * may take: after libcurl's default of 1 s it would send the
		 * body anyway, and a 413 slower than that (ASan, a loaded
		 * machine) would cross it and be lost again. */
		hs = curl_slist_append(
		    hs, blen > 65536 ? "Expect: 100-continue" : "Expect:");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
		curl_easy_setopt(
		    c, CURLOPT_EXPECT_100_TIMEOUT_MS, (long) timeout_ms);
		curl_easy_setopt(
		    c, CURLOPT_POSTFIELDS, body != NULL ? body : "");
		curl_easy_setopt(
		    c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) blen);
	}
	/* A status read before a failure counts. */
	curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	st = st > 0 ? st : -1;
	curl_easy_cleanup(c);
	curl_slist_free_all(rs);
	curl_slist_free_all(hs);
	if (out != NULL) {
		*out = b.p != NULL ? b.p : strdup("");
		if (olen != NULL)
			*olen = b.len;
	} else
		free(b.p);
	return (int) st;
}

/* https as bank-gateway: with its certificate. */
static int
http(const char *method, const char *path, const char *ctype, const char *body,
    size_t blen, char **out, size_t *olen, int timeout_ms)
{
	return https(
	    GATEWAY, method, path, ctype, body, blen, out, olen, timeout_ms);
}

/* POSTs xml as a pain.001: the status; *out the body. */
static int
post_raw(const char *xml, size_t len, char **out, size_t *olen, int ms)
{
	return http(
	    "POST", "/iso20022/pain.001", XML_CT, xml, len, out, olen, ms);
}

/* A 200 answer read as a pain.002 (the test fails otherwise). */
static bank_gateway_pain002 *
report_of(int st, char *body, size_t len, const char *what)
{
	bank_gateway_pain002 *r                             = NULL;
	char                  why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	TH_CHECK(&T, st == 200, "%s: status %d %s", what, st, body);
	TH_CHECK(&T,
	    bank_gateway_pain002_read(s002, body, len, &r, why) == SN_OK,
	    "%s: not a valid pain.002: %s", what, why);
	free(body);
	return r;
}

static bank_gateway_pain002 *
post_doc(const char *xml, size_t len)
{
	char  *body = NULL;
	size_t blen = 0;
	int    st   = post_raw(xml, len, &body, &blen, 60000);
	return report_of(st, body, blen, "POST pain.001");
}

static bank_gateway_pain002 *
get_report(const char *msg_id)
{
	char   path[128], *body = NULL;
	size_t blen = 0;
	snprintf(path, sizeof(path), "/iso20022/pain.002/%s", msg_id);
	int st = http("GET", path, NULL, NULL, 0, &body, &blen, 30000);
	return report_of(st, body, blen, path);
}

/* ---- documents ---------------------------------------------------------- */

typedef struct msg {
	char   id[24];
	size_t nf, n;
	struct {
		char   id[48], debtor[40];
		size_t first, n;
	} f[MAXF];
	struct {
		char   instr[48], e2e[40], acct[40], name[40];
		sn_fen amount;
	} t[MAXT];
} msg;

static msg *
msg_new(const char *id)
{
	msg *m = calloc(1, sizeof(*m));
	TH_CHECK(&T, m != NULL, "out of memory");
	snprintf(m->id, sizeof(m->id), "%s", id);
	return m;
}

/* Starts a block paid from debtor. */
static void
msg_fund(msg *m, const char *debtor)
{
	char id[sizeof(m->id)];
	TH_CHECK(&T, m->nf < MAXF, "too many blocks");
	memcpy(id, m->id, sizeof(id));
	snprintf(
	    m->f[m->nf].id, sizeof(m->f[m->nf].id), "%s-P%zu", id, m->nf + 1);
	snprintf(m->f[m->nf].debtor, sizeof(m->f[m->nf].debtor), "%s", debtor);
	m->f[m->nf].first = m->n;
	m->nf++;
}

static void
msg_tx(
    msg *m, const char *e2e, sn_fen amount, const char *acct, const char *name)
{
	char id[sizeof(m->id)];
	TH_CHECK(&T, m->n < MAXT && m->nf > 0, "no room for %s", e2e);
	memcpy(id, m->id, sizeof(id));
	snprintf(m->t[m->n].instr, sizeof(m->t[m->n].instr), "%s-%zu", id,
	    m->n + 1);
	snprintf(m->t[m->n].e2e, sizeof(m->t[m->n].e2e), "%s", e2e);
	snprintf(m->t[m->n].acct, sizeof(m->t[m->n].acct), "%s", acct);
	snprintf(m->t[m->n].name, sizeof(m->t[m->n].name), "%s", name);
	m->t[m->n].amount = amount;
	m->f[m->nf - 1].n++;
	m->n++;
}

/* m as a pain.001 document, by bank-gateway's writer (free it). */
static char *
msg_xml(const msg *m, size_t *len)
{
	static bank_gateway_pain001_tx txs[MAXT];
	bank_gateway_pain001_fund      funds[MAXF];
	char                           why[BANK_GATEWAY_ISO_WHY_MAX] = "";
	char                          *xml                           = NULL;
	for (size_t i = 0; i < m->n; i++)
		txs[i] = (bank_gateway_pain001_tx) { m->t[i].instr,
			m->t[i].e2e, m->t[i].amount, m->t[i].name,
			m->t[i].acct, "2027年1月 最低生活保障金" };
	for (size_t f = 0; f < m->nf; f++)
		funds[f] = (bank_gateway_pain001_fund) { m->f[f].id,
			"示例区民政局", m->f[f].debtor, "102100000001", "CNY",
			"SSBE", "2027-01-05", true, &txs[m->f[f].first],
			m->f[f].n };
	bank_gateway_pain001_batch b
	    = { m->id, 1798767000, "示例区民政局", funds, m->nf };
	TH_CHECK(&T,
	    bank_gateway_pain001_write(s001, &b, &xml, len, why) == SN_OK,
	    "pain001_write %s: %s", m->id, why);
	return xml;
}

static bank_gateway_pain002 *
post_msg(const msg *m)
{
	size_t                len;
	char                 *xml = msg_xml(m, &len);
	bank_gateway_pain002 *r   = post_doc(xml, len);
	free(xml);
	return r;
}

/* xml with the first `from` replaced by `to` (free it). */
static char *
replaced(const char *xml, const char *from, const char *to, size_t *len)
{
	const char *at = strstr(xml, from);
	TH_CHECK(&T, at != NULL, "%s not in the document", from);
	size_t n   = strlen(xml) - strlen(from) + strlen(to);
	char  *out = malloc(n + 1);
	memcpy(out, xml, (size_t) (at - xml));
	strcpy(out + (at - xml), to);
	strcat(out, at + strlen(from));
	*len = n;
	return out;
}

/* ---- checks ------------------------------------------------------------- */

static const bank_gateway_pain002_tx *
tx_of(const bank_gateway_pain002 *r, const char *e2e)
{
	for (size_t i = 0; i < r->n_txs; i++)
		if (strcmp(r->txs[i].end_to_end_id, e2e) == 0)
			return &r->txs[i];
	th_fail(&T, "%s is not in report %s", e2e, r->msg_id);
}

/* The report's transaction e2e has status (and reason code, "" none). */
static void
expect_tx(const bank_gateway_pain002 *r, const char *e2e, const char *status,
    const char *code)
{
	const bank_gateway_pain002_tx *t = tx_of(r, e2e);
	TH_CHECK(&T, !t->inherited && strcmp(t->status, status) == 0,
	    "%s: TxSts %s, want %s", e2e, t->status, status);
	TH_CHECK(&T, strcmp(t->reason.code, code) == 0,
	    "%s: reason %s, want %s", e2e, t->reason.code, code);
}

static void
expect_group(const bank_gateway_pain002 *r, const char *orgnl,
    const char *status, const char *code)
{
	TH_CHECK(&T,
	    strcmp(r->orgnl_msg_id, orgnl) == 0
	        && strcmp(r->orgnl_msg_name, "pain.001.001.09") == 0,
	    "OrgnlMsgId %s (%s), want %s", r->orgnl_msg_id, r->orgnl_msg_name,
	    orgnl);
	TH_CHECK(&T, strcmp(r->group_status, status) == 0,
	    "%s: GrpSts %s, want %s", orgnl, r->group_status, status);
	TH_CHECK(&T, strcmp(r->group_reason.code, code) == 0,
	    "%s: group reason %s, want %s (%s)", orgnl, r->group_reason.code,
	    code, r->group_reason.info);
}

static int64_t
book(const char *where)
{
	return th_int(
	    &T, "SELECT count(*) FROM %s.instructions WHERE %s", S(), where);
}

static int64_t
stored_messages(void)
{
	return th_int(&T, "SELECT count(*) FROM %s.batches", S());
}

static json_t *
get_json(const char *path)
{
	char *body = NULL;
	int st = th_http(&T, http_port, "GET", path, NULL, NULL, NULL, &body);
	TH_CHECK(&T, st == 200, "GET %s: %d %s", path, st, body);
	json_t *j = json_loads(body, 0, NULL);
	TH_CHECK(&T, j != NULL, "GET %s: not JSON: %s", path, body);
	free(body);
	return j;
}

static int64_t
stat_of(const char *a, const char *b)
{
	json_t *j = get_json("/stats");
	json_t *v = json_object_get(j, a);
	if (b != NULL)
		v = json_object_get(v, b);
	TH_CHECK(&T, json_is_integer(v), "stats %s.%s", a, b ? b : "");
	int64_t n = (int64_t) json_integer_value(v);
	json_decref(j);
	return n;
}

/* Lines of the file at path that hold text. */
static int
log_count(const char *path, const char *text)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	char line[8192];
	int  n = 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, text) != NULL;
	fclose(f);
	return n;
}

/*
 * POSTs xml (MsgId msg_id) as a client that waits ms: nothing may answer
 * in that time (what bank-sim was told to do instead: what), yet the
 * message's n payments are in the book, settled, within 10 s.
 */
static void
unanswered(const char *xml, size_t len, int ms, const char *msg_id, int64_t n,
    const char *what)
{
	char *body = NULL;
	int   st   = post_raw(xml, len, &body, NULL, ms);
	TH_CHECK(&T, st == -1, "%s: answered %d within %d ms", what, st, ms);
	free(body);
	TH_CHECK(&T,
	    th_wait_int(&T, n, 10000,
	        "SELECT count(*) FROM %s.instructions WHERE"
	        " status = 'settled' AND batch_id = '%s'",
	        S(), msg_id),
	    "%s: %s was not stored", what, msg_id);
}

/* ---- scenarios ---------------------------------------------------------- */

static void
settle(void)
{
	setup();
	start_bank(NULL);
	msg *m = msg_new("M-SETTLE");
	msg_fund(m, FUND);
	msg_tx(m, "S-1", 83000, "6222000000000101", "甲");
	msg_tx(m, "S-2", 63000, "6222000000000102", "乙");
	msg_fund(m, FUND2);
	msg_tx(m, "S-3", 17000, "6222000000000103", "丙");
	bank_gateway_pain002 *r = post_msg(m);
	expect_group(r, "M-SETTLE", "ACSC", "");
	TH_CHECK(&T,
	    r->n_pmtinfs == 2 && strcmp(r->pmtinfs[0].status, "ACSC") == 0
	        && strcmp(r->pmtinfs[1].pmt_inf_id, "M-SETTLE-P2") == 0,
	    "blocks");
	for (int i = 0; i < 3; i++)
		expect_tx(r, m->t[i].e2e, "ACSC", "");
	TH_CHECK(&T, strcmp(tx_of(r, "S-2")->instr_id, "M-SETTLE-2") == 0,
	    "OrgnlInstrId");
	char first_id[BANK_GATEWAY_ISO_ID_MAX];
	snprintf(first_id, sizeof(first_id), "%s", r->msg_id);
	bank_gateway_pain002_free(r);

	TH_CHECK(&T,
	    book("end_to_end_id = 'S-2' AND batch_id = 'M-SETTLE'"
	         " AND pmt_inf_id = 'M-SETTLE-P1' AND instr_id = 'M-SETTLE-2'"
	         " AND debtor_account = '" FUND "' AND amount_fen = 63000"
	         " AND account_number = '6222000000000102'"
	         " AND account_name = '乙' AND status = 'settled'"
	         " AND in_statement AND settled_at >= received_at"
	         " AND reason_code IS NULL AND iso_reason IS NULL")
	            == 1
	        && book("end_to_end_id = 'S-3' AND debtor_account = '" FUND2
	                "' AND pmt_inf_id = 'M-SETTLE-P2'")
	            == 1
	        && book("true") == 3,
	    "the book's rows");
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT count(*) FROM %s.batches WHERE batch_id = 'M-SETTLE'"
	        " AND count = 3 AND control_sum_fen = 163000"
	        " AND debtor_account = '" FUND "'",
	        S()) == 1
	        && th_int(&T,
	               "SELECT sum(amount_fen) FROM %s.instructions"
	               " WHERE status = 'settled'",
	               S())
	            == 163000,
	    "the message's row, or the settled total");
	r = get_report("M-SETTLE");
	expect_group(r, "M-SETTLE", "ACSC", "");
	for (int i = 0; i < 3; i++)
		expect_tx(r, m->t[i].e2e, "ACSC", "");
	TH_CHECK(&T, strcmp(r->msg_id, first_id) != 0,
	    "the same report MsgId twice: %s", r->msg_id);
	bank_gateway_pain002_free(r);
	int st = http("GET", "/iso20022/pain.002/NO-SUCH", NULL, NULL, 0, NULL,
	    NULL, 30000);
	TH_CHECK(&T, st == 404, "unknown MsgId: %d", st);
	json_t *c = get_json("/accounts/6222000000000101/credits");
	TH_CHECK(&T,
	    json_integer_value(json_object_get(c, "total_fen")) == 83000
	        && json_is_true(json_object_get(
	            json_array_get(json_object_get(c, "items"), 0),
	            "in_statement")),
	    "credit of S-1");
	json_decref(c);
	free(m);
}

static void
settle_later(void)
{
	setup();
	const char *env[] = { "SN_BANK_SIM_SETTLE_MS=3000", NULL };
	start_bank(env);
	msg *m = msg_new("M-LATER");
	msg_fund(m, FUND);
	msg_tx(m, "L-1", 1000, "6222000000000101", "甲");
	msg_tx(m, "L-2", 2000, "6222000000000102", "乙");
	bank_gateway_pain002 *r = post_msg(m);
	expect_group(r, "M-LATER", "ACCP", "");
	expect_tx(r, "L-1", "ACCP", "");
	expect_tx(r, "L-2", "ACCP", "");
	bank_gateway_pain002_free(r);
	TH_CHECK(&T,
	    book("status = 'accepted' AND settled_at IS NULL"
	         " AND in_statement IS NULL")
	        == 2,
	    "accepted rows");
	TH_CHECK(&T,
	    th_wait_int(&T, 2, 20000,
	        "SELECT count(*) FROM %s.instructions WHERE status ="
	        " 'settled' AND in_statement",
	        S()),
	    "not settled by the timer");
	TH_CHECK(&T,
	    book("settled_at >= received_at + interval '3000 milliseconds'")
	        == 2,
	    "settled before the delay");
	json_t *c = get_json("/accounts/6222000000000101/credits");
	TH_CHECK(&T,
	    json_integer_value(json_object_get(c, "count")) == 1
	        && json_integer_value(json_object_get(c, "total_fen")) == 1000,
	    "L-1 not credited once settled");
	json_decref(c);
	r = get_report("M-LATER");
	expect_group(r, "M-LATER", "ACSC", "");
	expect_tx(r, "L-1", "ACSC", "");
	expect_tx(r, "L-2", "ACSC", "");
	bank_gateway_pain002_free(r);
	free(m);
}

static void
rejects(void)
{
	setup();
	start_bank_fixture("SN_BANK_SIM_OPEN_ALL=0");
	msg *m = msg_new("M-REJ");
	msg_fund(m, FUND2);
	msg_tx(m, "R-OK", 1000, "6222000000000001", "张三");
	msg_tx(m, "R-AC01", 1000, "6222000000009999", "张三");
	msg_tx(m, "R-AC04", 1000, "6222000000000002", "李四");
	msg_tx(m, "R-AC06", 1000, "6222000000000003", "王五");
	msg_tx(m, "R-MD07", 1000, "6222000000000004", "赵六");
	msg_tx(m, "R-BE01", 1000, "6222000000000005", "钱八");
	msg_tx(m, "R-AM12", 1234, "6222000000000001", "张三");
	msg_tx(m, "R-CCY", 1111, "6222000000000001", "张三");
	msg_tx(m, "R-ZERO", 1, "6222000000000001", "张三");
	size_t len, n2, n3;
	char  *xml = msg_xml(m, &len);
	/* R-AM12 12.345 yuan, R-CCY in dollars, R-ZERO nothing (valid: the
	 * XSD's amounts start at 0); both sums kept right. */
	char *a = replaced(xml, ">12.34<", ">12.345<", &n2);
	char *b = replaced(a, "Ccy=\"CNY\">11.11<", "Ccy=\"USD\">11.11<", &n2);
	char *z = replaced(b, ">0.01<", ">0.00<", &n2);
	char *d = replaced(z, ">83.46<", ">83.455<", &n3);
	char *e = replaced(d, ">83.46<", ">83.455<", &n3);
	bank_gateway_pain002 *r = post_doc(e, n3);
	expect_group(r, "M-REJ", "PART", "");
	TH_CHECK(&T, strcmp(r->pmtinfs[0].status, "PART") == 0, "PmtInfSts %s",
	    r->pmtinfs[0].status);
	expect_tx(r, "R-OK", "ACSC", "");
	expect_tx(r, "R-AC01", "RJCT", "AC01");
	expect_tx(r, "R-AC04", "RJCT", "AC04");
	expect_tx(r, "R-AC06", "RJCT", "AC06");
	expect_tx(r, "R-MD07", "RJCT", "MD07");
	expect_tx(r, "R-BE01", "RJCT", "BE01");
	expect_tx(r, "R-AM12", "RJCT", "AM12");
	expect_tx(r, "R-CCY", "RJCT", "AM12");
	expect_tx(r, "R-ZERO", "RJCT", "AM12");
	bank_gateway_pain002_free(r);
	free(xml);
	free(a);
	free(b);
	free(z);
	free(d);
	free(e);
	TH_CHECK(&T,
	    book("status = 'rejected' AND settled_at IS NULL") == 8
	        && book("end_to_end_id = 'R-ZERO' AND amount_fen = 0"
	                " AND reason_code = 'invalid_amount'")
	            == 1
	        && book("end_to_end_id = 'R-AC04' AND reason_code ="
	                " 'closed_account' AND iso_reason = 'AC04'")
	            == 1
	        && book("end_to_end_id = 'R-BE01' AND reason_code ="
	                " 'name_mismatch' AND reason <> ''")
	            == 1
	        && book("end_to_end_id = 'R-AC06' AND iso_reason = 'AC06'"
	                " AND reason_code = 'blocked_account'")
	            == 1
	        && book("end_to_end_id = 'R-MD07' AND reason_code ="
	                " 'holder_deceased'")
	            == 1,
	    "rejections in the book");
	TH_CHECK(&T, stat_of("settled_fen", NULL) == 1000, "credited");
	json_t *c = get_json("/accounts/6222000000000002/credits");
	TH_CHECK(&T, json_integer_value(json_object_get(c, "count")) == 0,
	    "the closed account credited");
	json_decref(c);

	/* Rejections only: RJCT at every level. */
	msg *m2 = msg_new("M-REJ2");
	msg_fund(m2, FUND2);
	msg_tx(m2, "R2-1", 1000, "6222000000009998", "某");
	msg_tx(m2, "R2-2", 1000, "6222000000000002", "李四");
	r = post_msg(m2);
	expect_group(r, "M-REJ2", "RJCT", "");
	TH_CHECK(&T, strcmp(r->pmtinfs[0].status, "RJCT") == 0, "PmtInfSts");
	expect_tx(r, "R2-1", "RJCT", "AC01");
	expect_tx(r, "R2-2", "RJCT", "AC04");
	bank_gateway_pain002_free(r);
	free(m);
	free(m2);
}

/* POSTs a refused document: GrpSts RJCT code, OrgnlMsgId orgnl, an
 * AddtlInf of at most 105 characters naming something. */
static void
refused(const char *xml, size_t len, const char *orgnl, const char *code)
{
	char                 *body = NULL;
	size_t                blen = 0;
	int                   st   = post_raw(xml, len, &body, &blen, 30000);
	bank_gateway_pain002 *r    = report_of(st, body, blen, "refused");
	expect_group(r, orgnl, "RJCT", code);
	size_t chars = 0;
	for (const char *p = r->group_reason.info; *p != '\0'; p++)
		chars += ((unsigned char) *p & 0xc0) != 0x80;
	TH_CHECK(&T, chars > 0 && chars <= 105, "AddtlInf of %zu characters",
	    chars);
	TH_CHECK(&T, r->n_txs == 0, "transactions in a refusal");
	bank_gateway_pain002_free(r);
}

static void
invalid(void)
{
	setup();
	th_proc *p = start_bank(NULL);
	msg     *m = msg_new("M-BAD");
	msg_fund(m, FUND);
	msg_tx(m, "B-1", 1000, "6222000000000101", "甲");
	size_t len, n;
	char  *xml = msg_xml(m, &len);
	char  *bad = replaced(xml, "</GrpHdr>", "</GrpHdrX>", &n);
	refused(bad, n, "NOTPROVIDED", "FF01");
	free(bad);
	bad = replaced(
	    xml, "<PmtMtd>TRF</PmtMtd>", "<PmtMtd>CHK2</PmtMtd>", &n);
	refused(bad, n, "M-BAD", "FF01");
	free(bad);
	bad = replaced(xml, "<Document",
	    "<!DOCTYPE Document [<!ENTITY x \"M-EVIL\">]>\n<Document", &n);
	refused(bad, n, "NOTPROVIDED", "FF01");
	free(bad);
	refused("", 0, "NOTPROVIDED", "FF01");
	TH_CHECK(&T, stored_messages() == 0 && book("true") == 0,
	    "a refused document was stored");
	TH_CHECK(&T,
	    log_count(p->log, "\"pain.001 refused\"") == 4
	        && stat_of("process", "iso_messages_refused") == 4,
	    "a refusal without its warning line, or not counted");
	int st = http("POST", "/iso20022/pain.001", "text/plain", xml, len,
	    NULL, NULL, 30000);
	TH_CHECK(&T, st == 415, "text/plain: %d", st);
	/* The document itself is taken. */
	bank_gateway_pain002 *r = post_doc(xml, len);
	expect_group(r, "M-BAD", "ACSC", "");
	bank_gateway_pain002_free(r);
	free(xml);
	free(m);
}

static void
totals(void)
{
	setup();
	start_bank(NULL);
	msg *m = msg_new("M-TOT");
	msg_fund(m, FUND);
	msg_tx(m, "T-1", 1000, "6222000000000101", "甲");
	msg_tx(m, "T-2", 2000, "6222000000000102", "乙");
	size_t len, n;
	char  *xml = msg_xml(m, &len);
	char  *bad = replaced(
	     xml, "<NbOfTxs>2</NbOfTxs>", "<NbOfTxs>3</NbOfTxs>", &n);
	refused(bad, n, "M-TOT", "AM18");
	free(bad);
	bad = replaced(
	    xml, "<CtrlSum>30.00</CtrlSum>", "<CtrlSum>30.01</CtrlSum>", &n);
	refused(bad, n, "M-TOT", "AM16");
	free(bad);
	TH_CHECK(&T, stored_messages() == 0 && book("true") == 0,
	    "a mismatched document was stored");
	TH_CHECK(&T, stat_of("process", "iso_messages_refused") == 2,
	    "the refusals not counted");
	bank_gateway_pain002 *r = post_doc(xml, len);
	expect_group(r, "M-TOT", "ACSC", "");
	bank_gateway_pain002_free(r);
	free(xml);
	free(m);
}

static void
msgid_repeat(void)
{
	setup();
	start_bank(NULL);
	msg *m = msg_new("M-REP");
	msg_fund(m, FUND);
	msg_tx(m, "P-1", 1000, "6222000000000101", "甲");
	msg_tx(m, "P-2", 2000, "6222000000000102", "乙");
	size_t                len;
	char                 *xml = msg_xml(m, &len);
	bank_gateway_pain002 *r   = post_doc(xml, len);
	expect_group(r, "M-REP", "ACSC", "");
	bank_gateway_pain002_free(r);
	r = post_doc(xml, len);
	expect_group(r, "M-REP", "ACSC", "");
	expect_tx(r, "P-1", "ACSC", "");
	expect_tx(r, "P-2", "ACSC", "");
	bank_gateway_pain002_free(r);
	TH_CHECK(&T,
	    stat_of("repeated_batches", NULL) == 1
	        && stat_of("process", "iso_messages_repeated") == 1
	        && stat_of("process", "iso_messages_stored") == 1,
	    "the repeat was not counted");
	/* Another document under the same MsgId. */
	free(xml);
	m->t[1].amount = 2500;
	xml            = msg_xml(m, &len);
	char  *body    = NULL;
	size_t blen    = 0;
	int    st      = post_raw(xml, len, &body, &blen, 30000);
	r              = report_of(st, body, blen, "another document");
	expect_group(r, "M-REP", "RJCT", "DU01");
	TH_CHECK(&T, r->n_txs == 0, "DU01 with transactions");
	bank_gateway_pain002_free(r);
	TH_CHECK(&T,
	    book("true") == 2
	        && th_int(
	               &T, "SELECT sum(amount_fen) FROM %s.instructions", S())
	            == 3000
	        && th_int(&T, "SELECT count(*) FROM %s.iso_messages", S())
	            == 1,
	    "the other document changed the book");
	TH_CHECK(&T, stat_of("process", "iso_duplicate_msg_ids") == 1,
	    "DU01 not counted");
	free(xml);
	free(m);
}

static void
duplicate(void)
{
	setup();
	start_bank_fixture("SN_BANK_SIM_OPEN_ALL=0");
	msg *a = msg_new("M-DUP-A");
	msg_fund(a, FUND2);
	msg_tx(a, "D-1", 1000, "6222000000000001", "张三");
	msg_tx(a, "D-2", 2000, "6222000000009999", "张三"); /* AC01 */
	bank_gateway_pain002 *r = post_msg(a);
	expect_tx(r, "D-1", "ACSC", "");
	expect_tx(r, "D-2", "RJCT", "AC01");
	bank_gateway_pain002_free(r);
	char *first = th_text(&T,
	    "SELECT settled_at::text FROM %s.instructions"
	    " WHERE end_to_end_id = 'D-1'",
	    S());

	/* D-1 again (booked: a duplicate), D-2 again to a right account (a
	 * retry, judged anew), D-3 twice in the message. */
	msg *b = msg_new("M-DUP-B");
	msg_fund(b, FUND2);
	msg_tx(b, "D-1", 1000, "6222000000000001", "张三");
	msg_tx(b, "D-2", 2000, "6222000000000005", "钱七");
	msg_tx(b, "D-3", 3000, "6222000000000005", "钱七");
	msg_tx(b, "D-3", 3000, "6222000000000005", "钱七");
	r = post_msg(b);
	expect_group(r, "M-DUP-B", "ACSC", "");
	expect_tx(r, "D-1", "ACSC", "");
	expect_tx(r, "D-2", "ACSC", "");
	TH_CHECK(&T,
	    r->n_txs == 4 && strcmp(r->txs[2].status, "ACSC") == 0
	        && strcmp(r->txs[3].status, "ACSC") == 0,
	    "D-3 twice");
	bank_gateway_pain002_free(r);
	TH_CHECK(&T,
	    book("true") == 3
	        && book("end_to_end_id = 'D-1' AND batch_id = 'M-DUP-A'") == 1
	        && book("end_to_end_id = 'D-2' AND batch_id = 'M-DUP-B'"
	                " AND status = 'settled' AND iso_reason IS NULL"
	                " AND account_number = '6222000000000005'")
	            == 1
	        && book("end_to_end_id = 'D-3' AND position = 3") == 1
	        && th_int(&T,
	               "SELECT sum(amount_fen) FROM %s.instructions"
	               " WHERE status = 'settled'",
	               S())
	            == 6000,
	    "the book after the duplicates");
	TH_CHECK(&T, stat_of("duplicate_instructions", NULL) == 2,
	    "duplicates counted: %lld",
	    (long long) stat_of("duplicate_instructions", NULL));
	char *again = th_text(&T,
	    "SELECT settled_at::text FROM %s.instructions"
	    " WHERE end_to_end_id = 'D-1'",
	    S());
	TH_CHECK(&T,
	    first != NULL && again != NULL && strcmp(first, again) == 0,
	    "D-1 settled again: %s, first %s", again, first);
	free(first);
	free(again);
	/* The first message's report keeps D-2's rejection. */
	r = get_report("M-DUP-A");
	expect_group(r, "M-DUP-A", "PART", "");
	expect_tx(r, "D-1", "ACSC", "");
	expect_tx(r, "D-2", "RJCT", "AC01");
	bank_gateway_pain002_free(r);
	json_t *c = get_json("/accounts/6222000000000005/credits");
	TH_CHECK(&T,
	    json_integer_value(json_object_get(c, "total_fen")) == 5000,
	    "credits of 005");
	json_decref(c);
	c = get_json("/accounts/6222000000000001/credits");
	TH_CHECK(&T,
	    json_integer_value(json_object_get(c, "count")) == 1
	        && json_integer_value(json_object_get(c, "total_fen")) == 1000,
	    "D-1 credited more than once");
	json_decref(c);
	free(a);
	free(b);
}

static void
am04(void)
{
	setup();
	start_bank_fixture(NULL);
	/* The fund holds 1000.00 yuan. */
	msg *a = msg_new("M-AM-A");
	msg_fund(a, FUND);
	msg_tx(a, "F-1", 60000, "6222000000000101", "甲");
	bank_gateway_pain002 *r = post_msg(a);
	expect_group(r, "M-AM-A", "ACSC", "");
	bank_gateway_pain002_free(r);
	/* 300.00 + 200.00 > 400.00 left; the other block's account has no
	 * limit. */
	msg *b = msg_new("M-AM-B");
	msg_fund(b, FUND);
	msg_tx(b, "F-2", 30000, "6222000000000102", "乙");
	msg_tx(b, "F-3", 20000, "6222000000000103", "丙");
	msg_fund(b, FUND2);
	msg_tx(b, "F-4", 90000000, "6222000000000104", "丁");
	r = post_msg(b);
	expect_group(r, "M-AM-B", "PART", "");
	TH_CHECK(&T,
	    strcmp(r->pmtinfs[0].status, "RJCT") == 0
	        && strcmp(r->pmtinfs[0].reason.code, "AM04") == 0
	        && strcmp(r->pmtinfs[1].status, "ACSC") == 0,
	    "PmtInfSts %s %s / %s", r->pmtinfs[0].status,
	    r->pmtinfs[0].reason.code, r->pmtinfs[1].status);
	expect_tx(r, "F-2", "RJCT", "AM04");
	expect_tx(r, "F-3", "RJCT", "AM04");
	expect_tx(r, "F-4", "ACSC", "");
	bank_gateway_pain002_free(r);
	TH_CHECK(&T,
	    th_int(&T,
	        "SELECT sum(amount_fen) FROM %s.instructions WHERE"
	        " debtor_account = '" FUND "' AND status <> 'rejected'",
	        S())
	        == 60000,
	    "the short fund paid");
	/* A fee of 50.00 leaves 350.00: F-2 and F-3 (500.00) are still
	 * short, F-2 alone is not. */
	int st = th_http(&T, http_port, "POST", "/accounts/" FUND "/entries",
	    NULL, NULL,
	    "{\"end_to_end_id\": \"FEE-1\", \"amount_fen\": 5000,"
	    " \"date\": \"2027-01-05\"}",
	    NULL);
	TH_CHECK(&T, st == 201, "fee: %d", st);
	msg *c = msg_new("M-AM-C");
	msg_fund(c, FUND);
	msg_tx(c, "F-2", 30000, "6222000000000102", "乙");
	msg_tx(c, "F-3", 20000, "6222000000000103", "丙");
	r = post_msg(c);
	expect_tx(r, "F-2", "RJCT", "AM04");
	expect_tx(r, "F-3", "RJCT", "AM04");
	bank_gateway_pain002_free(r);
	msg *d = msg_new("M-AM-D");
	msg_fund(d, FUND);
	msg_tx(d, "F-2", 30000, "6222000000000102", "乙");
	r = post_msg(d);
	expect_group(r, "M-AM-D", "ACSC", "");
	expect_tx(r, "F-2", "ACSC", "");
	bank_gateway_pain002_free(r);
	TH_CHECK(&T,
	    book("end_to_end_id = 'F-2' AND status = 'settled'"
	         " AND batch_id = 'M-AM-D'")
	            == 1
	        && book("end_to_end_id = 'F-3' AND iso_reason = 'AM04'"
	                " AND batch_id = 'M-AM-C'")
	            == 1,
	    "the retries in the book");
	free(a);
	free(b);
	free(c);
	free(d);
}

static void
drop(void)
{
	setup();
	const char *env[] = { "SN_BANK_SIM_DROP_PERCENT=100",
		"SN_BANK_SIM_DROP_HOLD_MS=3000", NULL };
	th_proc    *p     = start_bank(env);
	msg        *m     = msg_new("M-DROP");
	msg_fund(m, FUND);
	msg_tx(m, "X-1", 1000, "6222000000000101", "甲");
	msg_tx(m, "X-2", 2000, "6222000000000102", "乙");
	size_t len;
	char  *xml  = msg_xml(m, &len);
	char  *body = NULL;
	unanswered(xml, len, 1000, "M-DROP", 2, "withholding");
	/* A patient client: the repeat is withheld too, and ends in a 503,
	 * never in the report. */
	int st = post_raw(xml, len, &body, NULL, 30000);
	TH_CHECK(&T, st == 503 && strstr(body, "<Document") == NULL,
	    "the withheld answer after the hold: %d %s", st, body);
	free(body);
	bank_gateway_pain002 *r = get_report("M-DROP");
	expect_tx(r, "X-1", "ACSC", "");
	bank_gateway_pain002_free(r);
	TH_CHECK(&T,
	    stat_of("process", "iso_answers_dropped") == 2
	        && stat_of("process", "iso_answers_sent") == 0
	        && stat_of("duplicate_instructions", NULL) == 0,
	    "the withheld answers not counted as such");
	th_stop(&T, p);
	start_bank(NULL);
	r = post_doc(xml, len);
	expect_group(r, "M-DROP", "ACSC", "");
	expect_tx(r, "X-1", "ACSC", "");
	expect_tx(r, "X-2", "ACSC", "");
	bank_gateway_pain002_free(r);
	TH_CHECK(&T,
	    book("true") == 2
	        && th_int(
	               &T, "SELECT sum(amount_fen) FROM %s.instructions", S())
	            == 3000
	        && stat_of("repeated_batches", NULL) == 2,
	    "paid twice, or the repeats not counted");
	free(xml);
	free(m);
}

static void
crash(void)
{
	setup();
	const char *env[] = { "SN_BANK_SIM_CRASH_AFTER=1", NULL };
	th_proc    *p     = start_bank(env);
	msg        *m     = msg_new("M-CRASH");
	msg_fund(m, FUND);
	msg_tx(m, "C-1", 1000, "6222000000000101", "甲");
	msg_tx(m, "C-2", 2000, "6222000000000102", "乙");
	size_t len;
	char  *xml = msg_xml(m, &len);
	unanswered(xml, len, 10000, "M-CRASH", 2, "crashing");
	int ws = th_wait_exit(&T, p, 10000);
	TH_CHECK(&T, ws >= 0 && WIFEXITED(ws) && WEXITSTATUS(ws) == 1,
	    "bank-sim did not exit 1 (status %d)", ws);
	start_bank(NULL);
	bank_gateway_pain002 *r = post_doc(xml, len);
	expect_group(r, "M-CRASH", "ACSC", "");
	expect_tx(r, "C-1", "ACSC", "");
	expect_tx(r, "C-2", "ACSC", "");
	bank_gateway_pain002_free(r);
	TH_CHECK(&T,
	    book("true") == 2
	        && th_int(
	               &T, "SELECT sum(amount_fen) FROM %s.instructions", S())
	            == 3000
	        && stat_of("process", "iso_messages_repeated") == 1
	        && stat_of("process", "iso_messages_stored") == 0
	        && stat_of("repeated_batches", NULL) == 1,
	    "the retry was not answered from the records");
	free(xml);
	free(m);
}

/* GET camt.054 for account and date: the status; *out the notification
 * when 200. */
static int
camt(const char *account, const char *date, bank_gateway_camt054 **out)
{
	char   path[200], why[BANK_GATEWAY_ISO_WHY_MAX] = "", *body = NULL;
	size_t blen = 0;
	snprintf(path, sizeof(path), "/iso20022/camt.054?account=%s&date=%s",
	    account, date);
	int st = http("GET", path, NULL, NULL, 0, &body, &blen, 30000);
	*out   = NULL;
	if (st == 200)
		TH_CHECK(&T,
		    bank_gateway_camt054_read(s054, body, blen, out, why)
		        == SN_OK,
		    "%s: not a valid camt.054: %s", path, why);
	free(body);
	return st;
}

/* The day (China Standard Time) e2e settled on, by the book. */
static char *
settled_day(const char *e2e)
{
	char *d = th_text(&T,
	    "SELECT to_char((settled_at AT TIME ZONE 'UTC') + interval"
	    " '8 hours', 'YYYY-MM-DD') FROM %s.instructions"
	    " WHERE end_to_end_id = '%s'",
	    S(), e2e);
	TH_CHECK(&T, d != NULL, "%s not settled", e2e);
	return d;
}

static const bank_gateway_camt054_entry *
entry_of(const bank_gateway_camt054 *n, const char *e2e)
{
	for (size_t i = 0; i < n->n_entries; i++)
		if (strcmp(n->entries[i].end_to_end_id, e2e) == 0)
			return &n->entries[i];
	th_fail(&T, "no entry for %s", e2e);
}

static void
camt054(void)
{
	setup();
	start_bank(NULL);
	msg *m = msg_new("M-CAMT");
	msg_fund(m, FUND);
	msg_tx(m, "N-1", 83000, "6222000000000101", "甲");
	msg_tx(m, "N-2", 33333, "6222000000000102", "乙");
	msg_fund(m, FUND2);
	msg_tx(m, "N-3", 5, "6222000000000103", "丙");
	bank_gateway_pain002 *r = post_msg(m);
	expect_group(r, "M-CAMT", "ACSC", "");
	bank_gateway_pain002_free(r);
	char                 *ref = th_text(&T,
	                    "SELECT 'BS' || lpad(credit_seq::text, 12, '0') FROM"
	                                    " %s.instructions WHERE end_to_end_id = 'N-2'",
	                    S());
	char                 *day = settled_day("N-1");
	bank_gateway_camt054 *n;
	TH_CHECK(&T, camt(FUND, day, &n) == 200, "camt.054");
	TH_CHECK(&T, n->n_entries == 2, "%zu entries for " FUND, n->n_entries);
	const bank_gateway_camt054_entry *e = entry_of(n, "N-2");
	TH_CHECK(&T,
	    e->amount == 33333 && e->debit && !e->reversal
	        && strcmp(e->status, "BOOK") == 0
	        && strcmp(e->currency, "CNY") == 0
	        && strcmp(e->booking_date, day) == 0
	        && strcmp(e->msg_id, "M-CAMT") == 0
	        && strcmp(e->account, FUND) == 0
	        && strcmp(e->bank_ref, ref) == 0,
	    "N-2's entry: %lld %s %s %s %s", (long long) e->amount, e->status,
	    e->booking_date, e->msg_id, e->bank_ref);
	TH_CHECK(&T, entry_of(n, "N-1")->amount == 83000, "N-1's amount");
	bank_gateway_camt054_free(n);
	TH_CHECK(&T,
	    camt(FUND2, day, &n) == 200 && n->n_entries == 1
	        && n->entries[0].amount == 5,
	    "the other account");
	bank_gateway_camt054_free(n);
	TH_CHECK(&T, camt(FUND, "2020-01-01", &n) == 200 && n->n_entries == 0,
	    "another day");
	bank_gateway_camt054_free(n);
	TH_CHECK(&T,
	    camt("110000000000000000009", day, &n) == 200 && n->n_entries == 0,
	    "another account");
	bank_gateway_camt054_free(n);
	TH_CHECK(&T, camt(FUND, "2027-02-30", &n) == 400, "a bad date");
	TH_CHECK(&T,
	    http("GET", "/iso20022/camt.054?date=2027-01-05", NULL, NULL, 0,
	        NULL, NULL, 30000)
	        == 400,
	    "no account");

	/* A foreign entry on the day. */
	char req[256], *body = NULL;
	snprintf(req, sizeof(req),
	    "{\"end_to_end_id\": \"FOREIGN-1\", \"amount_fen\": 700,"
	    " \"date\": \"%s\"}",
	    day);
	int st = th_http(&T, http_port, "POST", "/accounts/" FUND "/entries",
	    NULL, NULL, req, &body);
	TH_CHECK(&T, st == 201 && strstr(body, "\"bank_ref\":\"BSF") != NULL,
	    "foreign entry: %d %s", st, body);
	free(body);
	st = th_http(&T, http_port, "POST", "/accounts/" FUND "/entries", NULL,
	    NULL, req, NULL);
	TH_CHECK(&T, st == 200, "the same entry again: %d", st);
	st = th_http(&T, http_port, "POST", "/accounts/" FUND "/entries", NULL,
	    NULL,
	    "{\"end_to_end_id\": \"FOREIGN-1\", \"amount_fen\": 701,"
	    " \"date\": \"2027-01-05\"}",
	    NULL);
	TH_CHECK(&T, st == 409, "a changed entry: %d", st);
	st = th_http(&T, http_port, "POST", "/accounts/" FUND "/entries", NULL,
	    NULL, "{\"end_to_end_id\": \"F-2\", \"amount_fen\": 0}", NULL);
	TH_CHECK(&T, st == 422, "a bad entry: %d", st);
	TH_CHECK(&T, camt(FUND, day, &n) == 200 && n->n_entries == 3,
	    "entries with the foreign one");
	e = entry_of(n, "FOREIGN-1");
	TH_CHECK(&T,
	    e->amount == 700 && e->msg_id[0] == '\0' && e->debit
	        && strncmp(e->bank_ref, "BSF", 3) == 0,
	    "the foreign entry");
	bank_gateway_camt054_free(n);
	free(ref);
	free(day);
	free(m);
}

static void
omit(void)
{
	setup();
	const char *env[] = { "SN_BANK_SIM_STATEMENT_OMIT_PERCENT=50",
		"SN_BANK_SIM_SEED=7", NULL };
	start_bank(env);
	msg *m = msg_new("M-OMIT");
	msg_fund(m, FUND);
	char e2e[32];
	for (int i = 0; i < 40; i++) {
		snprintf(e2e, sizeof(e2e), "O-%02d", i);
		msg_tx(m, e2e, 100 + i, "6222000000000101", "甲");
	}
	bank_gateway_pain002 *r = post_msg(m);
	expect_group(r, "M-OMIT", "ACSC", "");
	bank_gateway_pain002_free(r);
	int64_t shown = book("in_statement");
	TH_CHECK(&T,
	    shown > 0 && shown < 40 && book("in_statement IS NULL") == 0,
	    "%lld of 40 shown", (long long) shown);
	char                 *day = settled_day("O-00");
	bank_gateway_camt054 *a, *b;
	TH_CHECK(&T, camt(FUND, day, &a) == 200 && camt(FUND, day, &b) == 200,
	    "camt.054");
	TH_CHECK(&T,
	    (int64_t) a->n_entries == shown && a->n_entries == b->n_entries,
	    "%zu and %zu entries, %lld shown", a->n_entries, b->n_entries,
	    (long long) shown);
	for (size_t i = 0; i < a->n_entries; i++)
		TH_CHECK(&T,
		    strcmp(a->entries[i].end_to_end_id,
		        b->entries[i].end_to_end_id)
		        == 0,
		    "the fetches disagree");
	/* The credits say which. */
	json_t *c = get_json("/accounts/6222000000000101/credits?limit=100");
	json_t *items  = json_object_get(c, "items");
	size_t  hidden = 0;
	for (size_t i = 0; i < json_array_size(items); i++) {
		json_t     *it = json_array_get(items, i);
		const char *id
		    = json_string_value(json_object_get(it, "end_to_end_id"));
		bool in = json_is_true(json_object_get(it, "in_statement"));
		bool listed = false;
		for (size_t k = 0; k < a->n_entries; k++)
			listed = listed
			    || strcmp(a->entries[k].end_to_end_id, id) == 0;
		TH_CHECK(&T, in == listed, "%s: in_statement %d, listed %d",
		    id, in, listed);
		hidden += !in;
	}
	TH_CHECK(&T,
	    json_array_size(items) == 40 && (int64_t) hidden == 40 - shown,
	    "credits");
	json_decref(c);
	bank_gateway_camt054_free(a);
	bank_gateway_camt054_free(b);
	free(day);
	free(m);
}

static void
large(void)
{
	setup();
	th_proc *p = start_bank(NULL);
	msg     *m = msg_new("M-LARGE");
	char     e2e[32], acct[32];
	msg_fund(m, FUND);
	for (int i = 0; i < 2000; i++) {
		snprintf(e2e, sizeof(e2e), "LG-%05d", i);
		snprintf(acct, sizeof(acct), "62220000000%05d", i);
		msg_tx(m, e2e, 1000 + i, acct, "某某某");
	}
	size_t len;
	char  *xml = msg_xml(m, &len);
	TH_CHECK(&T, len > (1u << 20), "the document is only %zu bytes", len);
	th_stop(&T, p);
	char small[64];
	snprintf(small, sizeof(small), "SN_BANK_SIM_MAX_REQUEST_BYTES=%zu",
	    len - 1);
	const char *env[] = { small, NULL };
	p                 = start_bank(env);
	int st            = post_raw(xml, len, NULL, NULL, 60000);
	TH_CHECK(&T, st == 413, "over the limit: %d", st);
	TH_CHECK(&T, stored_messages() == 0, "stored over the limit");
	th_stop(&T, p);
	start_bank(NULL);
	bank_gateway_pain002 *r = post_doc(xml, len);
	expect_group(r, "M-LARGE", "ACSC", "");
	TH_CHECK(&T, r->n_txs == 2000, "%zu transactions reported", r->n_txs);
	bank_gateway_pain002_free(r);
	TH_CHECK(&T, book("status = 'settled'") == 2000, "not all booked");
	free(xml);
	free(m);
}

/* cert's request answered 403 client_certificate_required. */
static void
refused_cert(const char *cert, const char *method, const char *path,
    const char *xml, size_t len)
{
	char *body = NULL;
	int   st = https(cert, method, path, xml != NULL ? XML_CT : NULL, xml,
	      len, &body, NULL, 30000);
	TH_CHECK(&T,
	    st == 403 && strstr(body, "client_certificate_required") != NULL,
	    "%s %s with %s: %d %s", method, path,
	    cert ? cert : "no certificate", st, body);
	free(body);
}

static void
client_cert(void)
{
	setup();
	start_bank(NULL);
	msg *m = msg_new("M-CERT");
	msg_fund(m, FUND);
	msg_tx(m, "K-1", 1000, "6222000000000101", "甲");
	size_t len;
	char  *xml = msg_xml(m, &len);
	refused_cert(NULL, "POST", "/iso20022/pain.001", xml, len);
	refused_cert("rogue-gateway", "POST", "/iso20022/pain.001", xml, len);
	refused_cert(NULL, "GET", "/iso20022/pain.002/M-CERT", NULL, 0);
	refused_cert(NULL, "GET",
	    "/iso20022/camt.054?account=" FUND "&date=2027-01-05", NULL, 0);
	TH_CHECK(&T, stored_messages() == 0, "stored without a certificate");
	bank_gateway_pain002 *r = post_doc(xml, len);
	expect_group(r, "M-CERT", "ACSC", "");
	bank_gateway_pain002_free(r);
	r = get_report("M-CERT");
	expect_tx(r, "K-1", "ACSC", "");
	bank_gateway_pain002_free(r);
	/* The simulator's own routes take none. */
	int st
	    = https(NULL, "GET", "/stats", NULL, NULL, 0, NULL, NULL, 30000);
	TH_CHECK(&T, st == 200, "GET /stats without a certificate: %d", st);
	st = https(NULL, "POST", "/accounts/" FUND "/entries",
	    "application/json",
	    "{\"end_to_end_id\": \"K-FEE\", \"amount_fen\": 1,"
	    " \"date\": \"2027-01-05\"}",
	    strlen("{\"end_to_end_id\": \"K-FEE\", \"amount_fen\": 1,"
	           " \"date\": \"2027-01-05\"}"),
	    NULL, NULL, 30000);
	TH_CHECK(&T, st == 201, "POST entries without a certificate: %d", st);
	free(xml);
	free(m);
}

/* ---- delay ------------------------------------------------------------- */

/* A POST of a document waiting for its answer in a thread of its own. */
typedef struct waiter {
	pthread_t th;
	char     *xml, *body;
	size_t    len, blen;
	int       ms, st;
} waiter;

static void *
waiter_run(void *arg)
{
	waiter *w = arg;
	w->st     = post_raw(w->xml, w->len, &w->body, &w->blen, w->ms);
	return NULL;
}

static void
delay(void)
{
	setup();
	const char *env[] = { "SN_BANK_SIM_TIMEOUT_PERCENT=100",
		"SN_BANK_SIM_TIMEOUT_MS=1500", NULL };
	th_proc    *p     = start_bank(env);
	msg        *m     = msg_new("M-DELAY");
	msg_fund(m, FUND);
	msg_tx(m, "Y-1", 1000, "6222000000000101", "甲");
	size_t len;
	char  *xml = msg_xml(m, &len);
	unanswered(xml, len, 300, "M-DELAY", 1, "delaying");
	/* A patient client gets the report, after the delay. */
	uint64_t              t0   = th_now_ms();
	bank_gateway_pain002 *r    = post_doc(xml, len);
	uint64_t              took = th_now_ms() - t0;
	expect_group(r, "M-DELAY", "ACSC", "");
	expect_tx(r, "Y-1", "ACSC", "");
	bank_gateway_pain002_free(r);
	TH_CHECK(&T, took >= 1400, "the report came after %llu ms",
	    (unsigned long long) took);
	TH_CHECK(&T,
	    book("true") == 1 && stat_of("process", "iso_answers_delayed") == 2
	        && stat_of("process", "iso_answers_sent") == 0,
	    "paid twice, or the delays not counted");
	th_stop(&T, p);

	/* An answer held far longer than the test when SIGTERM comes: the
	 * waiting client gets it at once, and bank-sim exits 0 (th_stop). */
	const char *held[] = { "SN_BANK_SIM_TIMEOUT_PERCENT=100",
		"SN_BANK_SIM_TIMEOUT_MS=600000", NULL };
	p                  = start_bank(held);
	msg *m2            = msg_new("M-DELAY2");
	msg_fund(m2, FUND);
	msg_tx(m2, "Y-2", 2000, "6222000000000102", "乙");
	waiter w = { .ms = 60000 };
	w.xml    = msg_xml(m2, &w.len);
	TH_CHECK(
	    &T, pthread_create(&w.th, NULL, waiter_run, &w) == 0, "thread");
	/* Committed, then held: the counter of delayed answers says so
	 * (polled for 10 s). */
	bool is_held = false;
	for (int i = 0; i < 500 && !is_held; i++) {
		is_held = th_metric_http(&T, http_port,
		              "sn_bank_sim_iso_answers_total{act=\"delayed\"}")
		    == 1;
		if (!is_held)
			th_sleep_ms(20);
	}
	TH_CHECK(&T, is_held, "M-DELAY2's answer is not held");
	TH_CHECK(&T, book("batch_id = 'M-DELAY2' AND status = 'settled'") == 1,
	    "M-DELAY2 held before it was stored");
	th_stop(&T, p);
	pthread_join(w.th, NULL);
	r = report_of(w.st, w.body, w.blen, "the answer held at SIGTERM");
	expect_group(r, "M-DELAY2", "ACSC", "");
	bank_gateway_pain002_free(r);
	free(w.xml);
	free(xml);
	free(m);
	free(m2);
}

/* ---- concurrent --------------------------------------------------------- */

#define NCLIENTS 8
#define NMSGS 10
#define NPER 10

/* One client's messages, posted one after the other. */
typedef struct poster {
	pthread_t th;
	char     *xml[NMSGS], *body[NMSGS];
	size_t    len[NMSGS], blen[NMSGS];
	int       st[NMSGS];
	char      id[NMSGS][24];
} poster;

static void *
poster_run(void *arg)
{
	poster *c = arg;
	for (int j = 0; j < NMSGS; j++)
		c->st[j] = post_raw(
		    c->xml[j], c->len[j], &c->body[j], &c->blen[j], 60000);
	return NULL;
}

/*
 * Client k's messages: the NMSGS messages of NPER payees every client
 * sends, each under its own MsgId, in the client's own order, paid from
 * the client's own fund account (so that no debtor lock puts them in a
 * line: the end-to-end ids alone decide).
 */
static void
poster_make(poster *c, int k)
{
	char fund[32], e2e[32], acct[32];
	snprintf(fund, sizeof(fund), "1100000000000000001%02d", k);
	for (int j = 0; j < NMSGS; j++) {
		int jj = (j + k * 3) % NMSGS;
		snprintf(c->id[j], sizeof(c->id[j]), "K%d-%d", k, jj);
		msg *m = msg_new(c->id[j]);
		msg_fund(m, fund);
		for (int i = 0; i < NPER; i++) {
			snprintf(e2e, sizeof(e2e), "E-%d-%d", jj, i);
			snprintf(
			    acct, sizeof(acct), "62220000010%02d%03d", jj, i);
			msg_tx(m, e2e, 1000 + jj * NPER + i, acct, "甲");
		}
		c->xml[j] = msg_xml(m, &c->len[j]);
		free(m);
	}
}

static void
concurrent(void)
{
	setup();
	const char *env[] = { "SN_DB_POOL=8", NULL };
	start_bank(env);
	static poster c[NCLIENTS];
	for (int k = 0; k < NCLIENTS; k++)
		poster_make(&c[k], k);
	for (int k = 0; k < NCLIENTS; k++)
		TH_CHECK(&T,
		    pthread_create(&c[k].th, NULL, poster_run, &c[k]) == 0,
		    "thread");
	for (int k = 0; k < NCLIENTS; k++)
		pthread_join(c[k].th, NULL);
	for (int k = 0; k < NCLIENTS; k++)
		for (int j = 0; j < NMSGS; j++) {
			bank_gateway_pain002 *r = report_of(c[k].st[j],
			    c[k].body[j], c[k].blen[j], c[k].id[j]);
			expect_group(r, c[k].id[j], "ACSC", "");
			TH_CHECK(&T, r->n_txs == NPER, "%s: %zu transactions",
			    c[k].id[j], r->n_txs);
			for (size_t i = 0; i < r->n_txs; i++)
				TH_CHECK(&T,
				    !r->txs[i].inherited
				        && strcmp(r->txs[i].status, "ACSC")
				            == 0,
				    "%s: %s %s", c[k].id[j],
				    r->txs[i].end_to_end_id, r->txs[i].status);
			bank_gateway_pain002_free(r);
			free(c[k].xml[j]);
		}
	int64_t want = 0;
	for (int j = 0; j < NMSGS; j++)
		for (int i = 0; i < NPER; i++)
			want += 1000 + j * NPER + i;
	TH_CHECK(&T,
	    book("true") == NMSGS * NPER
	        && th_int(&T,
	               "SELECT sum(amount_fen) FROM %s.instructions"
	               " WHERE status = 'settled'",
	               S())
	            == want,
	    "rows %lld: an id paid twice or not at all",
	    (long long) book("true"));
	TH_CHECK(&T,
	    stat_of("duplicate_instructions", NULL)
	        == (NCLIENTS - 1) * NMSGS * NPER,
	    "duplicates %lld",
	    (long long) stat_of("duplicate_instructions", NULL));
	TH_CHECK(&T,
	    stat_of("batches", NULL) == NCLIENTS * NMSGS
	        && stat_of("process", "iso_messages_stored")
	            == NCLIENTS * NMSGS
	        && stat_of("process", "iso_messages_failed") == 0,
	    "messages stored or failed");
	int64_t most
	    = th_metric_http(&T, http_port, "sn_bank_sim_inflight_max");
	printf("at most %lld requests in flight at once\n", (long long) most);
	TH_CHECK(&T, most > 1, "never two requests at once (%lld)",
	    (long long) most);
}

/* ---- the simulator's own routes ----------------------------------------- */

static int64_t
jint(json_t *j, const char *a, const char *b)
{
	json_t *v = json_object_get(j, a);
	if (b != NULL)
		v = json_object_get(v, b);
	TH_CHECK(
	    &T, json_is_integer(v), "%s.%s is not an integer", a, b ? b : "");
	return (int64_t) json_integer_value(v);
}

/* Issue 10: the credits of 901 (two) are paged (sn/page.h): one at a
 * time, the first page's next leads to the second and last, nothing
 * twice. */
static void
credit_pages(void)
{
	json_t     *all   = get_json("/accounts/6222000000000901/credits");
	const char *first = json_string_value(
	    json_object_get(json_array_get(json_object_get(all, "items"), 0),
	        "end_to_end_id"));
	TH_CHECK(&T,
	    first != NULL
	        && json_array_size(json_object_get(all, "items")) == 2
	        && json_is_null(json_object_get(all, "next")),
	    "two credits on one page");
	json_t     *c = get_json("/accounts/6222000000000901/credits?limit=1");
	json_t     *l = json_object_get(c, "items");
	const char *next = json_string_value(json_object_get(c, "next"));
	TH_CHECK(&T,
	    json_array_size(l) == 1 && next != NULL
	        && strcmp(json_string_value(json_object_get(
	                      json_array_get(l, 0), "end_to_end_id")),
	               first)
	            == 0
	        && jint(c, "count", NULL) == 2
	        && jint(c, "total_fen", NULL) == 2500,
	    "the first page of one credit");
	char path[160];
	snprintf(path, sizeof(path),
	    "/accounts/6222000000000901/credits?limit=1&cursor=%s", next);
	json_t *d     = get_json(path);
	l             = json_object_get(d, "items");
	const char *e = json_string_value(
	    json_object_get(json_array_get(l, 0), "end_to_end_id"));
	TH_CHECK(&T,
	    json_array_size(l) == 1 && e != NULL && strcmp(e, first) != 0
	        && json_is_null(json_object_get(d, "next")),
	    "the second and last page of one credit");
	json_decref(d);
	json_decref(c);
	json_decref(all);
	int st = th_http(&T, http_port, "GET",
	    "/accounts/6222000000000901/credits?limit=0", NULL, NULL, NULL,
	    NULL);
	TH_CHECK(&T, st == 422, "a limit of 0: %d", st);
}

static void
own_routes(void)
{
	setup();
	start_bank_fixture(NULL);
	msg *m = msg_new("M-HTTP");
	msg_fund(m, FUND2);
	msg_tx(m, "H-1", 1000, "6222000000000001", "张三");
	msg_tx(m, "H-2", 2000, "6222000000000901", "甲");
	msg_tx(m, "H-3", 4000, "6222000000000002", "李四"); /* closed */
	msg_tx(m, "H-4", 8000, "6222000000000005", "赵");   /* BE01 */
	msg_tx(m, "H-5", 500, "6222000000000901", "甲");
	bank_gateway_pain002 *r = post_msg(m);
	expect_group(r, "M-HTTP", "PART", "");
	bank_gateway_pain002_free(r);
	r = get_report("M-HTTP");
	bank_gateway_pain002_free(r);

	json_t *s = get_json("/stats");
	TH_CHECK(&T, jint(s, "instructions", NULL) == 5, "instructions");
	TH_CHECK(&T,
	    jint(s, "by_status", "settled") == 3
	        && jint(s, "by_status", "rejected") == 2
	        && jint(s, "by_status", "accepted") == 0,
	    "by status");
	TH_CHECK(&T,
	    jint(s, "settled_fen", NULL) == 3500
	        && jint(s, "rejected_fen", NULL) == 12000
	        && jint(s, "accepted_fen", NULL) == 0,
	    "fen");
	TH_CHECK(&T,
	    jint(s, "rejected_by_reason", "closed_account") == 1
	        && jint(s, "rejected_by_reason", "name_mismatch") == 1
	        && json_object_size(json_object_get(s, "rejected_by_reason"))
	            == 2,
	    "reasons");
	TH_CHECK(&T,
	    jint(s, "duplicate_instructions", NULL) == 0
	        && jint(s, "repeated_batches", NULL) == 0
	        && jint(s, "batches", NULL) == 1
	        && jint(s, "iso_messages", NULL) == 1
	        && jint(s, "foreign_entries", NULL) == 0,
	    "messages");
	TH_CHECK(&T,
	    jint(s, "process", "iso_messages_stored") == 1
	        && jint(s, "process", "iso_messages_refused") == 0
	        && jint(s, "process", "iso_answers_sent") == 1
	        && jint(s, "process", "iso_answers_dropped") == 0,
	    "process counters");
	json_decref(s);
	credit_pages();
	json_t *c = get_json("/accounts/nobody/credits");
	TH_CHECK(&T,
	    jint(c, "count", NULL) == 0
	        && json_array_size(json_object_get(c, "items")) == 0
	        && json_is_null(json_object_get(c, "next")),
	    "credits of nobody");
	json_decref(c);
	int st
	    = th_http(&T, http_port, "POST", "/stats", NULL, NULL, "{}", NULL);
	TH_CHECK(&T, st == 405, "POST /stats: %d", st);
	free(m);
}

/* ---- help --------------------------------------------------------------- */

/* The output of `bank-sim ARG` run with no environment at all. */
static void
run_bare(const char *arg, char *out, size_t cap)
{
	char cmd[1200];
	snprintf(cmd, sizeof(cmd), "env -i %s %s", SN_BANK_SIM_BIN, arg);
	FILE *f = popen(cmd, "r");
	TH_CHECK(&T, f != NULL, "cannot run %s", cmd);
	size_t len = fread(out, 1, cap - 1, f);
	out[len]   = '\0';
	int st     = pclose(f);
	TH_CHECK(&T, WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "bank-sim %s: status %d", arg, st);
}

static void
help(void)
{
	static const char *const own[] = { "SN_BANK_SIM_FIXTURE",
		"SN_BANK_SIM_OPEN_ALL", "SN_BANK_SIM_SETTLE_MS",
		"SN_BANK_SIM_DROP_PERCENT", "SN_BANK_SIM_TIMEOUT_PERCENT",
		"SN_BANK_SIM_TIMEOUT_MS", "SN_BANK_SIM_CRASH_AFTER",
		"SN_BANK_SIM_SEED", "SN_BANK_SIM_MAX_REQUEST_BYTES",
		"SN_BANK_SIM_STATEMENT_OMIT_PERCENT",
		"SN_BANK_SIM_DROP_HOLD_MS", "SN_BANK_SIM_XSD_DIR" };
	/* the bank protocol's, gone with it (issue 14) */
	static const char *const gone[]
	    = { "SN_BANK_URL", "SN_BANK_SIM_CONTEXTS" };
	char out[16384], want[64];
	run_bare("--help", out, sizeof(out));
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		snprintf(want, sizeof(want), "  %s ", own[i]);
		TH_CHECK(&T, strstr(out, want) != NULL,
		    "--help does not list %s", own[i]);
	}
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
		snprintf(want, sizeof(want), "  %s ", gone[i]);
		TH_CHECK(&T, strstr(out, want) == NULL,
		    "--help still lists %s", gone[i]);
	}
	run_bare("--routes", out, sizeof(out));
	TH_CHECK(&T,
	    strcmp(out,
	        "GET /accounts/{account_number}/credits\n"
	        "POST /accounts/{account}/entries\n"
	        "GET /stats\n"
	        "POST /iso20022/pain.001\n"
	        "GET /iso20022/pain.002/{msg_id}\n"
	        "GET /iso20022/camt.054\n")
	        == 0,
	    "--routes: %s", out);
}

int
main(int argc, char **argv)
{
	static const th_scenario list[] = {
		{ "settle", settle },
		{ "settle_later", settle_later },
		{ "rejects", rejects },
		{ "invalid", invalid },
		{ "totals", totals },
		{ "msgid_repeat", msgid_repeat },
		{ "duplicate", duplicate },
		{ "am04", am04 },
		{ "drop", drop },
		{ "crash", crash },
		{ "camt054", camt054 },
		{ "omit", omit },
		{ "large", large },
		{ "client_cert", client_cert },
		{ "delay", delay },
		{ "concurrent", concurrent },
		{ "http", own_routes },
		{ "help", help },
	};
	return th_main(
	    &T, argc, argv, list, sizeof(list) / sizeof(list[0]), done);
}
