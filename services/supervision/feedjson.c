#include "feedjson.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "sn/idnum.h"
#include "sn/log.h"
#include "supervision.h"

static void
hmac(const uint8_t key[SUPERVISION_FEED_KEY_BYTES], const char *a,
    const char *b, uint8_t out[crypto_auth_hmacsha256_BYTES])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, SUPERVISION_FEED_KEY_BYTES);
	crypto_auth_hmacsha256_update(
	    &st, (const unsigned char *) a, strlen(a));
	crypto_auth_hmacsha256_update(
	    &st, (const unsigned char *) b, strlen(b));
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

void
supervision_feedjson_derive(const uint8_t key[SUPERVISION_FEED_KEY_BYTES],
    const char *label, const char *name,
    uint8_t out[SUPERVISION_FEED_KEY_BYTES])
{
	hmac(key, label, name, out);
}

void
supervision_feedjson_hub_key(const uint8_t master[SUPERVISION_FEED_KEY_BYTES],
    const char *hub, uint8_t out[SUPERVISION_FEED_KEY_BYTES])
{
	hmac(master, "sn.feed.hub.v1:", hub, out);
}

void
supervision_feedjson_pseudonym(const uint8_t key[SUPERVISION_FEED_KEY_BYTES],
    supervision_pbjson_class kind, const char *plain,
    char out[SUPERVISION_FEED_PSEUDONYM_LEN + 1])
{
	uint8_t mac[crypto_auth_hmacsha256_BYTES];

	hmac(key,
	    kind == SUPERVISION_PBJSON_ACCOUNT ? "account:" : "person:", plain,
	    mac);
	memcpy(out, "hmac-sha256:", 12);
	sodium_bin2hex(out + 12, SUPERVISION_FEED_PSEUDONYM_LEN - 12 + 1, mac,
	    sizeof(mac));
}

static bool
alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
	    || (c >= 'A' && c <= 'Z');
}

/* The length of a resident identity number standing alone at s[i] (not
 * touching a letter or digit), else 0. */
static size_t
idnum_at(const char *s, size_t i, size_t n)
{
	char buf[19];

	if (i + 18 > n || (i > 0 && alnum(s[i - 1]))
	    || (i + 18 < n && alnum(s[i + 18])))
		return 0;
	memcpy(buf, s + i, 18);
	buf[18] = '\0';
	return sn_idnum_valid(buf) ? 18 : 0;
}

/* s with every identity number standing alone replaced by its
 * pseudonym: a new string, or NULL (with *changed false) when s holds
 * none; *oom on allocation failure. */
static char *
scrub(const uint8_t *key, const char *s, bool *oom)
{
	size_t n = strlen(s), len = 0, cap = 0;
	char  *out  = NULL;
	size_t from = 0;

	*oom = false;
	for (size_t i = 0; i + 18 <= n; i++) {
		char p[SUPERVISION_FEED_PSEUDONYM_LEN + 1], id[19];

		if (s[i] < '1' || s[i] > '9' || idnum_at(s, i, n) == 0)
			continue;
		if (out == NULL) {
			cap = n + 8 * SUPERVISION_FEED_PSEUDONYM_LEN + 1;
			if ((out = malloc(cap)) == NULL) {
				*oom = true;
				return NULL;
			}
		}
		memcpy(id, s + i, 18);
		id[18] = '\0';
		supervision_feedjson_pseudonym(
		    key, SUPERVISION_PBJSON_PERSON, id, p);
		if (len + (i - from) + SUPERVISION_FEED_PSEUDONYM_LEN + 1
		    > cap) {
			char *grown = realloc(out, cap * 2 + n);

			if (grown == NULL) {
				free(out);
				*oom = true;
				return NULL;
			}
			out = grown;
			cap = cap * 2 + n;
		}
		memcpy(out + len, s + from, i - from);
		len += i - from;
		memcpy(out + len, p, SUPERVISION_FEED_PSEUDONYM_LEN);
		len += SUPERVISION_FEED_PSEUDONYM_LEN;
		from = i + 18;
		i    = from - 1;
	}
	if (out == NULL)
		return NULL;
	if (len + (n - from) + 1 > cap) {
		char *grown = realloc(out, len + (n - from) + 1);

		if (grown == NULL) {
			free(out);
			*oom = true;
			return NULL;
		}
		out = grown;
	}
	memcpy(out + len, s + from, n - from);
	out[len + n - from] = '\0';
	return out;
}

typedef struct walk {
	const uint8_t *key;
	const sn_seal *seal;
} walk;

/* The pseudonym of one PERSON or ACCOUNT value (a string). */
static sn_err
pseudonymise(
    const walk *w, supervision_pbjson_class kind, json_t *v, json_t **out)
{
	const char *s = json_string_value(v);
	char        p[SUPERVISION_FEED_PSEUDONYM_LEN + 1];
	char       *plain = NULL;

	*out = NULL;
	if (s == NULL)
		return SN_EPROTO;
	if (s[0] == '\0') {
		*out = json_string("");
		return *out != NULL ? SN_OK : SN_ENOMEM;
	}
	if (w->seal != NULL && strncmp(s, "sn1.", 4) == 0) {
		const char *column = kind == SUPERVISION_PBJSON_PERSON
		    ? SUPERVISION_PERSON_COLUMN
		    : SUPERVISION_ACCOUNT_COLUMN;

		if (sn_seal_open_text(w->seal, column, s, &plain) != SN_OK) {
			sn_log(SN_LOG_ERROR,
			    "feed: a sealed value does not open (is its key "
			    "in SN_SEAL_KEYS?)",
			    "column", column, NULL);
			return SN_EPROTO;
		}
		s = plain;
	}
	supervision_feedjson_pseudonym(w->key, kind, s, p);
	if (plain != NULL) {
		sodium_memzero(plain, strlen(plain));
		free(plain);
	}
	*out = json_string(p);
	return *out != NULL ? SN_OK : SN_ENOMEM;
}

static sn_err walk_value(const walk *w, json_t *v);

/* A PERSON or ACCOUNT member: a string or an array of strings. */
static sn_err
walk_secret(
    const walk *w, supervision_pbjson_class kind, json_t *v, json_t **out)
{
	sn_err err;

	if (!json_is_array(v))
		return pseudonymise(w, kind, v, out);
	if ((*out = json_array()) == NULL)
		return SN_ENOMEM;
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *e;

		if ((err = pseudonymise(w, kind, json_array_get(v, i), &e))
		    != SN_OK) {
			json_decref(*out);
			*out = NULL;
			return err;
		}
		if (json_array_append_new(*out, e) != 0) {
			json_decref(*out);
			*out = NULL;
			return SN_ENOMEM;
		}
	}
	return SN_OK;
}

static sn_err
walk_object(const walk *w, json_t *o)
{
	const char *k;
	json_t     *v, *repl;
	void       *tmp;
	sn_err      err;

	json_object_foreach_safe(o, tmp, k, v)
	{
		supervision_pbjson_class kind = supervision_pbjson_kind(k);

		switch (kind) {
		case SUPERVISION_PBJSON_NAME:
		case SUPERVISION_PBJSON_ADDRESS:
			json_object_del(o, k);
			break;
		case SUPERVISION_PBJSON_PERSON:
		case SUPERVISION_PBJSON_ACCOUNT:
			if (json_is_null(v))
				break;
			if ((err = walk_secret(w, kind, v, &repl)) != SN_OK)
				return err;
			if (json_object_set_new(o, k, repl) != 0)
				return SN_ENOMEM;
			break;
		case SUPERVISION_PBJSON_PLAIN:
			if (json_is_string(v)) {
				bool  oom;
				char *s = scrub(
				    w->key, json_string_value(v), &oom);

				if (oom)
					return SN_ENOMEM;
				if (s != NULL) {
					int rc = json_object_set_new(
					    o, k, json_string(s));

					free(s);
					if (rc != 0)
						return SN_ENOMEM;
				}
			} else if ((err = walk_value(w, v)) != SN_OK) {
				return err;
			}
			break;
		}
	}
	return SN_OK;
}

static sn_err
walk_value(const walk *w, json_t *v)
{
	sn_err err;

	if (json_is_object(v))
		return walk_object(w, v);
	if (!json_is_array(v))
		return SN_OK;
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *e = json_array_get(v, i);

		if (json_is_string(e)) {
			bool  oom;
			char *s = scrub(w->key, json_string_value(e), &oom);

			if (oom)
				return SN_ENOMEM;
			if (s != NULL) {
				int rc
				    = json_array_set_new(v, i, json_string(s));

				free(s);
				if (rc != 0)
					return SN_ENOMEM;
			}
		} else if ((err = walk_value(w, e)) != SN_OK) {
			return err;
		}
	}
	return SN_OK;
}

sn_err
supervision_feedjson_data(json_t *data,
    const uint8_t key[SUPERVISION_FEED_KEY_BYTES], const sn_seal *seal)
{
	walk w = { key, seal };

	return walk_value(&w, data);
}

bool
supervision_feedjson_type(
    const char *topic, int64_t version, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, SUPERVISION_FEED_TYPE_PREFIX "%s.v%lld",
	    topic, (long long) version);

	return n > 0 && (size_t) n < cap;
}

static int
set_str(json_t *o, const char *k, const char *v)
{
	return json_object_set_new(o, k, json_string(v));
}

sn_err
supervision_feedjson_item(const supervision_feed_row *row,
    const uint8_t key[SUPERVISION_FEED_KEY_BYTES], const sn_seal *seal,
    json_t **out)
{
	char         type[160], schema[256], source[96], pos[24];
	json_t      *ce = json_object(), *data = NULL;
	json_error_t jerr;
	sn_err       err = SN_ENOMEM;
	bool         oom;
	char        *subject;

	*out = NULL;
	if (ce == NULL)
		return SN_ENOMEM;
	if (!supervision_feedjson_type(
	        row->type, row->schema_version, type, sizeof(type))) {
		err = SN_EPROTO;
		goto fail;
	}
	snprintf(schema, sizeof(schema),
	    SUPERVISION_FEED_SCHEMA_BASE "%s.json", type);
	snprintf(source, sizeof(source), "/safetynet/%s", row->source);
	snprintf(pos, sizeof(pos), "%lld", (long long) row->pos);
	if ((data = json_loads(row->data, JSON_REJECT_DUPLICATES, &jerr))
	    == NULL) {
		err = SN_EPROTO;
		goto fail;
	}
	if (set_str(ce, "specversion", "1.0") != 0
	    || set_str(ce, "id", row->event_id) != 0
	    || set_str(ce, "source", source) != 0
	    || set_str(ce, "type", type) != 0)
		goto fail;
	if (row->subject[0] != '\0') {
		subject = scrub(key, row->subject, &oom);
		if (oom
		    || set_str(ce, "subject",
		           subject != NULL ? subject : row->subject)
		        != 0) {
			free(subject);
			goto fail;
		}
		free(subject);
	}
	if (set_str(ce, "time", row->time) != 0
	    || set_str(ce, "snpos", pos) != 0)
		goto fail;
	/* A body kept undecoded (events.h) goes without data. */
	if (supervision_events_descriptor(row->type) == NULL
	    || (json_object_size(data) == 1
	        && json_object_get(data, "undecoded") != NULL)) {
		json_decref(data);
		*out = ce;
		return SN_OK;
	}
	if ((err = supervision_feedjson_data(data, key, seal)) != SN_OK)
		goto fail;
	err = SN_ENOMEM;
	if (set_str(ce, "datacontenttype", "application/json") != 0
	    || set_str(ce, "dataschema", schema) != 0
	    || json_object_set(ce, "data", data) != 0)
		goto fail;
	json_decref(data);
	*out = ce;
	return SN_OK;
fail:
	json_decref(data);
	json_decref(ce);
	return err;
}
