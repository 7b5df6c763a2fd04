#include "stats.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "sn/assist/v1/case.pb-c.h"
#include "sn/assist/v1/emergency.pb-c.h"
#include "sn/clock.h"
#include "sn/input.h"
#include "sn/log.h"
#include "sn/pay/v1/payment.pb-c.h"
#include "sn/problem.h"
#include "sn/services/v1/services.pb-c.h"

const char *const supervision_stats_programmes[] = { "dibao", "tekun",
	"low_income", "expenditure", "emergency", "price_subsidy",
	"special_assistance", "service_projects", NULL };

const char *const supervision_stats_dims[] = { "programme", "category", "tier",
	"township", "month", "service", "outcome" };

/* ---- pure functions --------------------------------------------------- */

sn_err
supervision_stats_parse_by(const char *s, unsigned *out)
{
	unsigned bits = 0;

	if (s == NULL || s[0] == '\0') {
		*out = SUPERVISION_STATS_BY_PROGRAMME;
		return SN_OK;
	}
	for (;;) {
		size_t n     = strcspn(s, ",");
		bool   found = false;

		for (unsigned i = 0; i < SUPERVISION_STATS_NDIMS; i++)
			if (strlen(supervision_stats_dims[i]) == n
			    && strncmp(s, supervision_stats_dims[i], n) == 0) {
				if ((bits & (1u << i)) != 0)
					return SN_EINVAL;
				bits |= 1u << i;
				found = true;
			}
		if (!found)
			return SN_EINVAL;
		if (s[n] == '\0')
			break;
		s += n + 1;
	}
	*out = bits;
	return SN_OK;
}

/* n decimal digits of s as an integer; -1 if one is not a digit. */
static int
digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

sn_err
supervision_stats_day_of(const char *s, int32_t offset_min, sn_date *out)
{
	char    day[SN_DATE_STRLEN];
	sn_date d;
	int     hh, mm, ss, tz = 0;
	size_t  i = 19;

	if (s == NULL || strlen(s) < 20 || (s[10] != 'T' && s[10] != 't')
	    || s[13] != ':' || s[16] != ':')
		return SN_EINVAL;
	memcpy(day, s, 10);
	day[10] = '\0';
	if (sn_date_parse(day, &d) != SN_OK)
		return SN_EINVAL;
	hh = digits(s + 11, 2);
	mm = digits(s + 14, 2);
	ss = digits(s + 17, 2);
	if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || ss < 0 || ss > 60)
		return SN_EINVAL;
	if (s[i] == '.') {
		i++;
		if (s[i] < '0' || s[i] > '9')
			return SN_EINVAL;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if ((s[i] == 'Z' || s[i] == 'z') && s[i + 1] == '\0')
		tz = 0;
	else if ((s[i] == '+' || s[i] == '-') && strlen(s + i) == 6
	    && s[i + 3] == ':') {
		int th = digits(s + i + 1, 2), tm = digits(s + i + 4, 2);

		if (th < 0 || th > 23 || tm < 0 || tm > 59)
			return SN_EINVAL;
		tz = (th * 60 + tm) * (s[i] == '-' ? -1 : 1);
	} else
		return SN_EINVAL;
	/* Minutes since the epoch in UTC, then in the district. */
	int64_t min
	    = sn_date_to_days(d) * 1440 + hh * 60 + mm - tz + offset_min;
	int64_t days = min >= 0 ? min / 1440 : -((-min + 1439) / 1440);
	*out         = sn_date_from_days(days);
	return SN_OK;
}

char *
supervision_stats_count_zh(int64_t n, char *buf, size_t cap)
{
	uint64_t    a    = n < 0 ? (uint64_t) 0 - (uint64_t) n : (uint64_t) n;
	const char *sign = n < 0 ? "-" : "";

	if (a < 10000u)
		snprintf(buf, cap, "%s%" PRIu64, sign, a);
	else if (a < 100000000u)
		snprintf(buf, cap, "%s%" PRIu64 "万%s", sign, a / 10000u,
		    a % 10000u != 0 ? "余" : "");
	else
		snprintf(buf, cap, "%s%" PRIu64 "亿%s", sign, a / 100000000u,
		    a % 100000000u != 0 ? "余" : "");
	return buf;
}

/* whole and hundredths as "12", "12.5" or "12.55", then unit. */
static void
hundredths(
    char *buf, size_t cap, const char *sign, uint64_t h, const char *unit)
{
	uint64_t w = h / 100u, f = h % 100u;

	if (f == 0)
		snprintf(buf, cap, "%s%" PRIu64 "%s", sign, w, unit);
	else if (f % 10u == 0)
		snprintf(buf, cap, "%s%" PRIu64 ".%" PRIu64 "%s", sign, w,
		    f / 10u, unit);
	else
		snprintf(buf, cap, "%s%" PRIu64 ".%02" PRIu64 "%s", sign, w, f,
		    unit);
}

char *
supervision_stats_yuan_zh(int64_t fen, char *buf, size_t cap)
{
	/* 1万 yuan is 10^6 fen, 1亿 yuan 10^10 fen; a hundredth of 万 is
	 * 10^4 fen, of 亿 10^8 fen. */
	uint64_t a = fen < 0 ? (uint64_t) 0 - (uint64_t) fen : (uint64_t) fen;
	const char *sign = fen < 0 ? "-" : "";

	if (a < 1000000u) {
		hundredths(buf, cap, sign, a, "");
		return buf;
	}
	if (a < 10000000000u) {
		uint64_t h = a / 10000u + (a % 10000u >= 5000u);

		if (h < 1000000u) { /* below 10000.00万 once rounded */
			hundredths(buf, cap, sign, h, "万");
			return buf;
		}
	}
	hundredths(buf, cap, sign,
	    a / 100000000u + (a % 100000000u >= 50000000u), "亿");
	return buf;
}

char *
supervision_stats_district_sentence(int64_t households, int64_t person_times,
    int64_t fen, char *buf, size_t cap)
{
	char h[SUPERVISION_STATS_ZHLEN], p[SUPERVISION_STATS_ZHLEN],
	    y[SUPERVISION_STATS_ZHLEN];

	snprintf(buf, cap, "救助%s户、%s人次，发放%s元",
	    supervision_stats_count_zh(households, h, sizeof(h)),
	    supervision_stats_count_zh(person_times, p, sizeof(p)),
	    supervision_stats_yuan_zh(fen, y, sizeof(y)));
	return buf;
}

char *
supervision_stats_emergency_sentence(
    int64_t person_times, int64_t fen, char *buf, size_t cap)
{
	char p[SUPERVISION_STATS_ZHLEN], y[SUPERVISION_STATS_ZHLEN];

	snprintf(buf, cap, "临时救助%s人次，%s元",
	    supervision_stats_count_zh(person_times, p, sizeof(p)),
	    supervision_stats_yuan_zh(fen, y, sizeof(y)));
	return buf;
}

char *
supervision_stats_yuan(int64_t fen, char *buf, size_t cap)
{
	uint64_t a = fen < 0 ? (uint64_t) 0 - (uint64_t) fen : (uint64_t) fen;

	snprintf(buf, cap, "%s%" PRIu64 ".%02" PRIu64, fen < 0 ? "-" : "",
	    a / 100u, a % 100u);
	return buf;
}

static bool
append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t c = *cap != 0 ? *cap : 256;
		char  *b;

		while (*len + n + 1 > c)
			c *= 2;
		if ((b = realloc(*buf, c)) == NULL)
			return false;
		*buf = b;
		*cap = c;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return true;
}

bool
supervision_stats_csv_field(
    char **buf, size_t *len, size_t *cap, const char *field)
{
	if (strpbrk(field, ",\"\r\n") == NULL)
		return append(buf, len, cap, field, strlen(field));
	if (!append(buf, len, cap, "\"", 1))
		return false;
	for (const char *p = field; *p != '\0'; p++)
		if (!append(buf, len, cap, p, 1)
		    || (*p == '"' && !append(buf, len, cap, "\"", 1)))
			return false;
	return append(buf, len, cap, "\"", 1);
}

/* ---- the facts: on_event --------------------------------------------- */

static const char SQL_REGISTER[]
    = "INSERT INTO stats_register (beneficiary_id, pos, first_month, "
      "until_month, status, category, tier, members, township_code) "
      "SELECT $1, e.pos, $2::date, $3::date, $4, $5, $6, $7::int, $8 "
      "FROM events e WHERE e.event_id = $9::uuid "
      "ON CONFLICT DO NOTHING";

static const char SQL_SCHEDULED[]
    = "INSERT INTO stats_payment AS p (payment_id, programme, "
      "beneficiary_id, period, township_code, amount_fen, scheduled_pos) "
      "SELECT $1, $2, $3, $4::date, $5, $6::bigint, e.pos "
      "FROM events e WHERE e.event_id = $7::uuid "
      "ON CONFLICT (payment_id) DO UPDATE SET "
      "township_code = EXCLUDED.township_code, "
      "amount_fen = CASE WHEN p.settled_pos IS NULL "
      "THEN EXCLUDED.amount_fen ELSE p.amount_fen END, "
      "scheduled_pos = coalesce(p.scheduled_pos, EXCLUDED.scheduled_pos)";

/* A payment settled once, counted on its period's first day (else the
 * settlement's day); a settlement of a payment never scheduled (cannot
 * happen on one stream) is taken whole. */
static const char SQL_SETTLED[]
    = "INSERT INTO stats_payment AS p (payment_id, programme, "
      "beneficiary_id, period, amount_fen, settled_pos, day, "
      "first_of_period) "
      "SELECT $1, $2, $3, $4::date, $5::bigint, e.pos, "
      "coalesce($4::date, $6::date), "
      "$3 = '' OR NOT EXISTS (SELECT 1 FROM stats_payment q "
      "WHERE q.beneficiary_id = $3 AND q.programme = $2 "
      "AND q.period IS NOT DISTINCT FROM $4::date "
      "AND q.settled_pos IS NOT NULL AND q.payment_id <> $1) "
      "FROM events e WHERE e.event_id = $7::uuid "
      "ON CONFLICT (payment_id) DO UPDATE SET "
      "amount_fen = EXCLUDED.amount_fen, "
      "settled_pos = EXCLUDED.settled_pos, day = EXCLUDED.day, "
      "first_of_period = EXCLUDED.first_of_period "
      "WHERE p.settled_pos IS NULL";

/* $6 the day; a reversal ($11 its grant's key) counts on the day of
 * the grant it credits back (its latest instalment), when known. */
static const char SQL_FACT[]
    = "INSERT INTO stats_fact (fact_id, programme, category, tier, "
      "township_code, day, pos, hh_key, persons, amount_fen, service, "
      "outcome) "
      "SELECT $1, $2, $3, $4, $5, coalesce((SELECT max(g.day) FROM "
      "stats_fact g WHERE $11::text IS NOT NULL AND g.hh_key = $11 "
      "AND g.fact_id LIKE 'grant:%'), $6::date), e.pos, $7, $8::int, "
      "$9::bigint, $12, $13 FROM events e WHERE e.event_id = $10::uuid "
      "ON CONFLICT (fact_id) DO NOTHING";

/* A referral's or a place's state now; $3, if not NULL, the only state
 * it moves from (overdue only while unanswered). */
static const char SQL_OUTCOME[]
    = "UPDATE stats_fact SET outcome = $2 WHERE fact_id = $1 "
      "AND ($3::text IS NULL OR outcome = $3)";

static const char *
category_name(int c)
{
	switch (c) {
	case SN__ASSIST__V1__CATEGORY__CATEGORY_TEKUN:
		return "tekun";
	case SN__ASSIST__V1__CATEGORY__CATEGORY_DIBAO:
		return "dibao";
	case SN__ASSIST__V1__CATEGORY__CATEGORY_EXPENDITURE:
		return "expenditure";
	case SN__ASSIST__V1__CATEGORY__CATEGORY_LOW_INCOME:
		return "low_income";
	case SN__ASSIST__V1__CATEGORY__CATEGORY_EMERGENCY:
		return "emergency";
	case SN__ASSIST__V1__CATEGORY__CATEGORY_NONE:
		return "none";
	default:
		return "";
	}
}

static const char *
tier_name(int t)
{
	switch (t) {
	case SN__ASSIST__V1__TIER__TIER_CORE:
		return "core";
	case SN__ASSIST__V1__TIER__TIER_EDGE:
		return "edge";
	case SN__ASSIST__V1__TIER__TIER_UNIVERSAL:
		return "universal";
	default:
		return "";
	}
}

static const char *
status_name(int s)
{
	switch (s) {
	case SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_ACTIVE:
		return "active";
	case SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_GRADUAL_EXIT:
		return "gradual_exit";
	case SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_EXITED:
		return "exited";
	case SN__ASSIST__V1__BENEFICIARY_STATUS__BENEFICIARY_SUSPENDED:
		return "suspended";
	default:
		return "";
	}
}

/* The benefit programmes a payment's fund counts under; NULL for a
 * grant's payment (counted by the grant) or an unknown fund. */
static const char *
fund_programme(int f)
{
	switch (f) {
	case SN__PAY__V1__FUND__FUND_DIBAO:
		return "dibao";
	case SN__PAY__V1__FUND__FUND_TEKUN:
		return "tekun";
	case SN__PAY__V1__FUND__FUND_PRICE_SUBSIDY:
		return "price_subsidy";
	default:
		return NULL;
	}
}

/* "YYYY-MM" as the date of its first day into buf; NULL when it is not
 * a month. */
static const char *
month_date(const char *s, char buf[SN_DATE_STRLEN])
{
	sn_month m;

	if (s == NULL || sn_month_parse(s, &m) != SN_OK)
		return NULL;
	return sn_date_format(sn_month_first(m), buf);
}

/* The district day of time (RFC 3339; NULL or "" for none), else of the
 * envelope's time (when the publisher's outbox row was written, by the
 * database's clock), else, should neither parse, the day it is applied. */
static const char *
event_day(const sn_event *ev, const char *time, char buf[SN_DATE_STRLEN])
{
	sn_date d;

	if ((time == NULL || time[0] == '\0'
	        || supervision_stats_day_of(time, sn_clock_offset_min(), &d)
	            != SN_OK)
	    && supervision_stats_day_of(ev->time, sn_clock_offset_min(), &d)
	        != SN_OK) {
		sn_log(SN_LOG_WARN,
		    "supervision: an event's time does not parse; dated today",
		    "type", ev->type, "time", ev->time, NULL);
		d = sn_clock_today();
	}
	return sn_date_format(d, buf);
}

static sn_err
on_beneficiary(
    sn_tx *tx, const sn_event *ev, const Sn__Assist__V1__BeneficiaryChanged *m)
{
	char        first[SN_DATE_STRLEN], until[SN_DATE_STRLEN];
	char        day[SN_DATE_STRLEN], members[16];
	const char *f = month_date(m->first_month, first);

	if (m->beneficiary_id == NULL || m->beneficiary_id[0] == '\0')
		return SN_OK;
	if (f == NULL)
		f = month_date(m->from_month, first);
	if (f == NULL) {
		sn_date d;

		event_day(ev, NULL, day);
		sn_date_parse(day, &d);
		f = sn_date_format(sn_date_month_start(d), first);
	}
	snprintf(members, sizeof(members), "%d",
	    m->members > 0 ? m->members : (int) m->n_member_id_numbers);
	const char *v[9] = { m->beneficiary_id, f,
		month_date(m->until_month, until),
		status_name((int) m->status), category_name((int) m->category),
		tier_name((int) m->tier), members,
		m->household != NULL && m->household->township_code != NULL
		    ? m->household->township_code
		    : "",
		ev->id };
	return sn_tx_query(tx, SQL_REGISTER, 9, v, NULL, NULL);
}

static sn_err
on_scheduled(
    sn_tx *tx, const sn_event *ev, const Sn__Pay__V1__PaymentScheduled *m)
{
	const char *prog = fund_programme((int) m->fund);
	char        period[SN_DATE_STRLEN], amount[24];

	if (prog == NULL || m->payment_id == NULL || m->payment_id[0] == '\0')
		return SN_OK;
	snprintf(amount, sizeof(amount), "%" PRId64, m->amount_fen);
	const char *v[7] = { m->payment_id, prog,
		m->ref != NULL && m->ref->beneficiary_id != NULL
		    ? m->ref->beneficiary_id
		    : "",
		m->ref != NULL ? month_date(m->ref->period, period) : NULL,
		m->township_code != NULL ? m->township_code : "", amount,
		ev->id };
	return sn_tx_query(tx, SQL_SCHEDULED, 7, v, NULL, NULL);
}

static sn_err
on_settled(sn_tx *tx, const sn_event *ev, const Sn__Pay__V1__PaymentSettled *m)
{
	const char *prog = fund_programme((int) m->fund);
	char        period[SN_DATE_STRLEN], day[SN_DATE_STRLEN], amount[24];

	if (prog == NULL || m->payment_id == NULL || m->payment_id[0] == '\0')
		return SN_OK;
	snprintf(amount, sizeof(amount), "%" PRId64, m->amount_fen);
	const char *v[7] = { m->payment_id, prog,
		m->ref != NULL && m->ref->beneficiary_id != NULL
		    ? m->ref->beneficiary_id
		    : "",
		m->ref != NULL ? month_date(m->ref->period, period) : NULL,
		amount, event_day(ev, m->settled_at, day), ev->id };
	return sn_tx_query(tx, SQL_SETTLED, 7, v, NULL, NULL);
}

/* One row of stats_fact, as the hook makes it. */
typedef struct fact_in {
	const char *id, *programme, *category, *tier, *township, *hh_key;
	const char *service, *outcome; /* NULL: "" */
	int         persons;
	int64_t     fen;
	const char *time;     /* dated by it (event_day) */
	const char *reversal; /* a reversal's grant key, else NULL */
	const char *day;      /* else a district day given, YYYY-MM-DD */
} fact_in;

static const char *
or_empty(const char *s)
{
	return s != NULL ? s : "";
}

static sn_err
fact(sn_tx *tx, const sn_event *ev, const fact_in *f)
{
	char day[SN_DATE_STRLEN], p[16], amount[24];

	snprintf(p, sizeof(p), "%d", f->persons);
	snprintf(amount, sizeof(amount), "%" PRId64, f->fen);
	const char *v[13] = { f->id, f->programme, or_empty(f->category),
		or_empty(f->tier), or_empty(f->township),
		f->day != NULL ? f->day : event_day(ev, f->time, day),
		f->hh_key, p, amount, ev->id, f->reversal,
		or_empty(f->service), or_empty(f->outcome) };
	return sn_tx_query(tx, SQL_FACT, 13, v, NULL, NULL);
}

/* An emergency fact: a grant's (reversal NULL) dated by time, or a
 * reversal of the grant whose key is reversal. */
static sn_err
emergency_fact(sn_tx *tx, const sn_event *ev, const char *id,
    const char *township, const char *hh_key, int persons, int64_t fen,
    const char *time, const char *reversal)
{
	fact_in f = { .id  = id,
		.programme = "emergency",
		.category  = "emergency",
		.tier      = "universal",
		.township  = township,
		.hh_key    = hh_key,
		.persons   = persons,
		.fen       = fen,
		.time      = time,
		.reversal  = reversal };

	return fact(tx, ev, &f);
}

static sn_err
on_granted(
    sn_tx *tx, const sn_event *ev, const Sn__Assist__V1__EmergencyGranted *m)
{
	char id[160], key[96];

	if (m->grant_id == NULL || m->grant_id[0] == '\0'
	    || strlen(m->grant_id) > 64)
		return SN_OK;
	snprintf(id, sizeof(id), "grant:%s:%d", m->grant_id, m->instalment);
	snprintf(key, sizeof(key), "grant:%s", m->grant_id);
	/* One person-time per grant, at its first (or only) instalment,
	 * dated by the grant; a later instalment by its publication. */
	return emergency_fact(tx, ev, id, m->township_code, key,
	    m->instalment <= 1 ? 1 : 0, m->amount_fen,
	    m->instalment <= 1 ? m->granted_at : NULL, NULL);
}

static sn_err
on_reserve(
    sn_tx *tx, const sn_event *ev, const Sn__Assist__V1__ReserveChanged *m)
{
	char id[160], key[96];

	if (m->movement
	        != SN__ASSIST__V1__RESERVE_MOVEMENT__RESERVE_MOVEMENT_REVERSAL
	    || m->ledger_entry_id == NULL || m->ledger_entry_id[0] == '\0'
	    || strlen(m->ledger_entry_id) > 64 || m->grant_id == NULL
	    || strlen(m->grant_id) > 64)
		return SN_OK;
	snprintf(id, sizeof(id), "reversal:%s", m->ledger_entry_id);
	snprintf(key, sizeof(key), "grant:%s", m->grant_id);
	/* Credited back to the fund: + in the ledger, - granted here. */
	return emergency_fact(tx, ev, id, m->township_code, key, 0,
	    m->amount_fen < 0 ? m->amount_fen : -m->amount_fen, NULL, key);
}

/* ---- services' facts (issue 13) --------------------------------------- */

/* "<prefix>:<id>" into buf; false when id is empty or too long. */
static bool
fact_id(char *buf, size_t cap, const char *prefix, const char *id)
{
	if (id == NULL || id[0] == '\0' || strlen(id) > 64)
		return false;
	snprintf(buf, cap, "%s:%s", prefix, id);
	return true;
}

static sn_err
set_outcome(sn_tx *tx, const char *id, const char *to, const char *from)
{
	const char *v[3] = { id, to, from };

	return sn_tx_query(tx, SQL_OUTCOME, 3, v, NULL, NULL);
}

/* The household a fact counts as while its event is not linked:
 * services' own (an application's id or an emergency referral's, as
 * supervision names households), else the fact itself. */
static const char *
services_household(const char *household_id, const char *own)
{
	return household_id != NULL && household_id[0] != '\0' ? household_id
	                                                       : own;
}

static sn_err
on_routed(
    sn_tx *tx, const sn_event *ev, const Sn__Services__V1__ReferralRouted *m)
{
	char id[96];

	if (!fact_id(id, sizeof(id), "referral", m->referral_id))
		return SN_OK;
	fact_in f = { .id  = id,
		.programme = "special_assistance",
		.category  = category_name((int) m->category),
		.tier      = tier_name((int) m->tier),
		.township  = m->township_code,
		.hh_key    = services_household(m->household_id, id),
		.service   = m->department,
		.outcome   = "routed",
		.persons   = 1,
		.time      = m->routed_at };
	return fact(tx, ev, &f);
}

static sn_err
on_answered(sn_tx *tx, const Sn__Services__V1__ReferralAnswered *m)
{
	char        id[96];
	const char *to = NULL;

	if (m->outcome
	    == SN__SERVICES__V1__REFERRAL_OUTCOME__REFERRAL_ACCEPTED)
		to = "accepted";
	else if (m->outcome
	    == SN__SERVICES__V1__REFERRAL_OUTCOME__REFERRAL_DECLINED)
		to = "declined";
	if (to == NULL || !fact_id(id, sizeof(id), "referral", m->referral_id))
		return SN_OK;
	return set_outcome(tx, id, to, NULL);
}

static sn_err
on_referral_overdue(sn_tx *tx, const Sn__Services__V1__ReferralOverdue *m)
{
	char id[96];

	if (!fact_id(id, sizeof(id), "referral", m->referral_id))
		return SN_OK;
	return set_outcome(tx, id, "overdue", "routed");
}

/* A place given (a fact), a session delivered (a fact, dated by its
 * day; one per count of sessions so far, so that a repeat adds nothing)
 * or a place ended (its state). */
static sn_err
on_enrolment(
    sn_tx *tx, const sn_event *ev, const Sn__Services__V1__EnrolmentChanged *m)
{
	char    place[96], id[128], day[SN_DATE_STRLEN];
	sn_date d;

	if (!fact_id(place, sizeof(place), "enrolment", m->enrolment_id))
		return SN_OK;
	fact_in f = { .id  = place,
		.programme = "service_projects",
		.township  = m->township_code,
		.hh_key    = services_household(m->household_id, place),
		.service   = m->domain,
		.outcome   = "enrolled",
		.persons   = 1,
		.time      = m->at };
	switch (m->change) {
	case SN__SERVICES__V1__ENROLMENT_CHANGE__ENROLMENT_ENROLLED:
		return fact(tx, ev, &f);
	case SN__SERVICES__V1__ENROLMENT_CHANGE__ENROLMENT_SESSION:
		if (m->sessions > 0)
			snprintf(id, sizeof(id), "session:%s:%d",
			    m->enrolment_id, (int) m->sessions);
		else /* no count given: the event is the session */
			snprintf(id, sizeof(id), "session:%s", ev->id);
		f.id      = id;
		f.outcome = "session";
		if (m->session_date != NULL
		    && sn_date_parse(m->session_date, &d) == SN_OK)
			f.day = sn_date_format(d, day);
		return fact(tx, ev, &f);
	case SN__SERVICES__V1__ENROLMENT_CHANGE__ENROLMENT_ENDED:
		return set_outcome(tx, place, "ended", NULL);
	default:
		return SN_OK;
	}
}

/* services' events: the publisher that owns these topics only. */
static sn_err
services_event(sn_tx *tx, const supervision_event *e)
{
	const char *type = e->ev->type;

	if (strcmp(type, "referral.routed") == 0)
		return on_routed(tx, e->ev,
		    (const Sn__Services__V1__ReferralRouted *) e->msg);
	if (strcmp(type, "referral.answered") == 0)
		return on_answered(
		    tx, (const Sn__Services__V1__ReferralAnswered *) e->msg);
	if (strcmp(type, "referral.overdue") == 0)
		return on_referral_overdue(
		    tx, (const Sn__Services__V1__ReferralOverdue *) e->msg);
	if (strcmp(type, "enrolment.changed") == 0)
		return on_enrolment(tx, e->ev,
		    (const Sn__Services__V1__EnrolmentChanged *) e->msg);
	return SN_OK;
}

sn_err
supervision_stats_on_event(
    supervision *s, sn_tx *tx, const supervision_event *e)
{
	const char *src = e->ev->source, *type = e->ev->type;

	(void) s;
	if (e->msg == NULL)
		return SN_OK;
	/* Each topic is taken from the publisher that owns it only. */
	if (strcmp(src, "approval") == 0
	    && strcmp(type, "beneficiary.changed") == 0)
		return on_beneficiary(tx, e->ev,
		    (const Sn__Assist__V1__BeneficiaryChanged *) e->msg);
	if (strcmp(src, "disbursement") == 0
	    && strcmp(type, "payment.scheduled") == 0)
		return on_scheduled(
		    tx, e->ev, (const Sn__Pay__V1__PaymentScheduled *) e->msg);
	if (strcmp(src, "disbursement") == 0
	    && strcmp(type, "payment.settled") == 0)
		return on_settled(
		    tx, e->ev, (const Sn__Pay__V1__PaymentSettled *) e->msg);
	if (strcmp(src, "emergency") == 0
	    && strcmp(type, "emergency.granted") == 0)
		return on_granted(tx, e->ev,
		    (const Sn__Assist__V1__EmergencyGranted *) e->msg);
	if (strcmp(src, "emergency") == 0
	    && strcmp(type, "reserve.changed") == 0)
		return on_reserve(tx, e->ev,
		    (const Sn__Assist__V1__ReserveChanged *) e->msg);
	if (strcmp(src, "services") == 0)
		return services_event(tx, e);
	return SN_OK;
}

/* ---- the figures: GET /statistics ------------------------------------ */

/*
 * Every fact in the range as (programme, category, tier, township, month,
 * service, outcome, household, persons, amount), grouped by the
 * dimensions asked for ($5 to $11) and in total (the row where total is true),
 * without a total row when nothing counted. $1, $2: the range's days (NULL:
 * open); $3, $4: the first and the last month of coverage (the 1st of each; $3
 * NULL: from the register's first). A payment's household is its own event's,
 * else its beneficiary's register event's (a payment waits for its
 * beneficiary's id to be linked, which a register event applied before its
 * application never adds), else the beneficiary id itself.
 */
static const char SQL_FIGURES_FACTS[]
    = "WITH pay AS ("
      " SELECT p.programme,"
      "  CASE WHEN p.programme = 'price_subsidy'"
      "  THEN coalesce(v.category, '') ELSE p.programme END AS category,"
      "  CASE WHEN p.programme = 'price_subsidy'"
      "  THEN coalesce(v.tier, '') ELSE 'core' END AS tier,"
      "  p.township_code,"
      "  date_trunc('month', p.day::timestamp)::date AS month,"
      "  coalesce(e.household_id, ev.household_id, 'beneficiary:' ||"
      "  nullif(p.beneficiary_id, ''), 'payment:' || p.payment_id)"
      "  AS household,"
      "  CASE WHEN p.first_of_period THEN coalesce(v.members, 0)"
      "  ELSE 0 END AS persons,"
      "  p.amount_fen, '' AS service, '' AS outcome"
      " FROM stats_payment p"
      " LEFT JOIN events e ON e.pos = coalesce(p.scheduled_pos,"
      "  p.settled_pos)"
      " LEFT JOIN LATERAL (SELECT r.category, r.tier, r.members, r.pos"
      "  FROM stats_register r WHERE r.beneficiary_id = p.beneficiary_id"
      "  ORDER BY (r.first_month <= coalesce(p.period, 'infinity'::date))"
      "  DESC, r.pos DESC LIMIT 1) v ON p.beneficiary_id <> ''"
      " LEFT JOIN events ev ON ev.pos = v.pos"
      " WHERE p.settled_pos IS NOT NULL"
      "  AND p.day >= coalesce($1::date, '-infinity'::date)"
      "  AND p.day <= coalesce($2::date, 'infinity'::date)),"
      " span AS ("
      " SELECT r.beneficiary_id,"
      "  greatest(min(r.first_month), coalesce($3::date,"
      "  min(r.first_month))) AS lo"
      " FROM stats_register r WHERE r.beneficiary_id IN"
      "  (SELECT x.beneficiary_id FROM stats_register x"
      "  WHERE x.category IN ('low_income', 'expenditure'))"
      " GROUP BY r.beneficiary_id),"
      " cover AS ("
      " SELECT v.category AS programme, v.category, v.tier,"
      "  v.township_code, m.month::date AS month,"
      "  coalesce(e.household_id, 'beneficiary:' || b.beneficiary_id)"
      "  AS household, v.members AS persons, 0::bigint AS amount_fen,"
      "  '' AS service, '' AS outcome"
      " FROM span b"
      " CROSS JOIN LATERAL generate_series(b.lo::timestamp,"
      "  $4::date::timestamp, interval '1 month') m(month)"
      " CROSS JOIN LATERAL (SELECT r.* FROM stats_register r"
      "  WHERE r.beneficiary_id = b.beneficiary_id"
      "  AND r.first_month <= m.month::date ORDER BY r.pos DESC LIMIT 1) v"
      " LEFT JOIN events e ON e.pos = v.pos"
      " WHERE v.category IN ('low_income', 'expenditure')"
      "  AND v.status IN ('active', 'gradual_exit')"
      "  AND (v.until_month IS NULL OR m.month::date <= v.until_month)"
      "  AND m.month::date >= coalesce($1::date, '-infinity'::date)"
      "  AND m.month::date <= coalesce($2::date, 'infinity'::date)),"
      " fact AS ("
      " SELECT f.programme, f.category, f.tier, f.township_code,"
      "  date_trunc('month', f.day::timestamp)::date AS month,"
      "  coalesce(e.household_id, f.hh_key) AS household, f.persons,"
      "  f.amount_fen, f.service, f.outcome"
      " FROM stats_fact f LEFT JOIN events e ON e.pos = f.pos"
      " WHERE f.day >= coalesce($1::date, '-infinity'::date)"
      "  AND f.day <= coalesce($2::date, 'infinity'::date)),";

/* The query's second half: the groups (ISO C's limit on a literal's
 * length parts them; figures() joins them once). */
static const char SQL_FIGURES_GROUPS[]
    = " d AS ("
      " SELECT CASE WHEN $5::boolean THEN programme END AS d_programme,"
      "  CASE WHEN $6::boolean THEN category END AS d_category,"
      "  CASE WHEN $7::boolean THEN tier END AS d_tier,"
      "  CASE WHEN $8::boolean THEN township_code END AS d_township,"
      "  CASE WHEN $9::boolean THEN to_char(month, 'YYYY-MM') END"
      "  AS d_month, CASE WHEN $10::boolean THEN service END AS d_service,"
      "  CASE WHEN $11::boolean THEN outcome END AS d_outcome,"
      "  household, persons, amount_fen"
      " FROM (SELECT * FROM pay UNION ALL SELECT * FROM cover"
      "  UNION ALL SELECT * FROM fact) a),"
      /* Each household's net in each row, and in total (g = 1): a
       * household counts where it has a person or money net of
       * reversals. */
      " h AS ("
      " SELECT GROUPING(d_programme) AS g, d_programme, d_category,"
      "  d_tier, d_township, d_month, d_service, d_outcome, household,"
      "  sum(persons) AS persons, sum(amount_fen) AS amount_fen"
      " FROM d GROUP BY GROUPING SETS ((d_programme, d_category, d_tier,"
      "  d_township, d_month, d_service, d_outcome, household),"
      "  (household)))"
      " SELECT d_programme AS programme, d_category AS category,"
      "  d_tier AS tier, d_township AS township, d_month AS month,"
      "  d_service AS service, d_outcome AS outcome,"
      "  count(*) FILTER (WHERE persons > 0 OR amount_fen > 0)"
      "  AS households,"
      "  coalesce(sum(persons), 0)::bigint AS person_times,"
      "  coalesce(sum(amount_fen), 0)::bigint AS amount_fen,"
      "  g = 1 AS total"
      " FROM h GROUP BY g, d_programme, d_category, d_tier, d_township,"
      "  d_month, d_service, d_outcome"
      " ORDER BY total, array_position(ARRAY['dibao', 'tekun',"
      "  'low_income', 'expenditure', 'emergency', 'price_subsidy',"
      "  'special_assistance', 'service_projects'], d_programme),"
      "  array_position(ARRAY['tekun', 'dibao', 'expenditure',"
      "  'low_income', 'emergency', 'none', ''], d_category),"
      "  array_position(ARRAY['core', 'edge', 'universal', ''], d_tier),"
      "  d_programme, d_category, d_tier, d_township, d_month, d_service,"
      "  array_position(ARRAY['routed', 'overdue', 'accepted',"
      "  'declined', 'enrolled', 'ended', 'session'], d_outcome),"
      "  d_outcome";

static const char *
sql_figures(void)
{
	static char
	    sql[sizeof(SQL_FIGURES_FACTS) + sizeof(SQL_FIGURES_GROUPS)];

	if (sql[0] == '\0')
		snprintf(sql, sizeof(sql), "%s%s", SQL_FIGURES_FACTS,
		    SQL_FIGURES_GROUPS);
	return sql;
}

typedef struct fig_row {
	const char *dim[SUPERVISION_STATS_NDIMS];
	bool        has[SUPERVISION_STATS_NDIMS];
	int64_t     households, person_times, amount_fen;
	bool        total;
} fig_row;

/* Dimension i's column, NULL when not grouped by it. */
#define DIM_COL(i, name)                                                      \
	{                                                                     \
		name, SN_COL_TEXT,                                            \
		    offsetof(fig_row, dim) + (i) * sizeof(char *),            \
		    sizeof(char *),                                           \
		    offsetof(fig_row, has) + (i) * sizeof(bool), NULL         \
	}

static const sn_col fig_cols[] = {
	DIM_COL(0, "programme"),
	DIM_COL(1, "category"),
	DIM_COL(2, "tier"),
	DIM_COL(3, "township"),
	DIM_COL(4, "month"),
	DIM_COL(5, "service"),
	DIM_COL(6, "outcome"),
	SN_COL(fig_row, households, SN_COL_I64),
	SN_COL(fig_row, person_times, SN_COL_I64),
	SN_COL(fig_row, amount_fen, SN_COL_I64),
	SN_COL(fig_row, total, SN_COL_BOOL),
};

enum { FIG_JSON, FIG_CSV, FIG_DISTRICT };

typedef struct fig_req {
	sn_http_req *req;
	int          kind;
	unsigned     by;
	bool         has_from, has_to;
	char         from[SN_DATE_STRLEN], to[SN_DATE_STRLEN];
} fig_req;

static json_t *
figures_json(int64_t households, int64_t person_times, int64_t fen)
{
	char y[32];

	return json_pack("{s:I, s:I, s:I, s:s}", "households",
	    (json_int_t) households, "person_times", (json_int_t) person_times,
	    "amount_fen", (json_int_t) fen, "amount_yuan",
	    supervision_stats_yuan(fen, y, sizeof(y)));
}

/* The figures' rows: n read into rows (each a fig_row borrowing res), and
 * the total row into *total. With `by` exactly programme, every
 * programme has a row (0 where nothing counted), in the table's order. */
typedef struct fig_set {
	fig_row *rows;
	size_t   n;
	fig_row  total;
} fig_set;

/* by=programme: a row for every programme, 0 where nothing counted. The
 * query orders the rows as the table does (an unknown programme last),
 * so the table and the rows are walked together. */
static sn_err
every_programme(fig_set *set)
{
	fig_row *all = calloc(
	    SUPERVISION_STATS_NPROGRAMMES + set->n + 1, sizeof(fig_row));
	size_t i = 0, k = 0;

	if (all == NULL) {
		free(set->rows);
		set->rows = NULL;
		return SN_ENOMEM;
	}
	for (size_t p = 0; p < SUPERVISION_STATS_NPROGRAMMES; p++) {
		const char *name = supervision_stats_programmes[p];

		if (i < set->n && set->rows[i].has[0]
		    && strcmp(set->rows[i].dim[0], name) == 0)
			all[k++] = set->rows[i++];
		else {
			all[k].dim[0]   = name;
			all[k++].has[0] = true;
		}
	}
	while (i < set->n)
		all[k++] = set->rows[i++];
	free(set->rows);
	set->rows = all;
	set->n    = k;
	return SN_OK;
}

static sn_err
read_set(PGresult *res, unsigned by, fig_set *out)
{
	sn_rows rows;
	int     n;

	memset(out, 0, sizeof(*out));
	if (sn_rows_open(&rows, res, fig_cols, SN_NCOLS(fig_cols)) != SN_OK)
		return SN_EPROTO;
	n         = sn_rows_count(&rows);
	out->rows = calloc((size_t) n + 1, sizeof(fig_row));
	if (out->rows == NULL) {
		sn_rows_close(&rows);
		return SN_ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		fig_row r;

		if (sn_rows_read(&rows, i, &r) != SN_OK) {
			sn_rows_close(&rows);
			free(out->rows);
			out->rows = NULL;
			return SN_EPROTO;
		}
		if (r.total)
			out->total = r;
		else
			out->rows[out->n++] = r;
	}
	sn_rows_close(&rows);
	return by == SUPERVISION_STATS_BY_PROGRAMME ? every_programme(out)
	                                            : SN_OK;
}

static json_t *
by_json(unsigned by)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < SUPERVISION_STATS_NDIMS; i++)
		if ((by & (1u << i)) != 0)
			json_array_append_new(
			    a, json_string(supervision_stats_dims[i]));
	return a;
}

static json_t *
day_json(const fig_req *c, bool has, const char *day)
{
	(void) c;
	return has ? json_string(day) : json_null();
}

static void
reply_json(fig_req *c, const fig_set *set)
{
	json_t *rows = json_array();

	for (size_t i = 0; i < set->n; i++) {
		const fig_row *r = &set->rows[i];
		json_t        *o = json_object();

		for (unsigned d = 0; d < SUPERVISION_STATS_NDIMS; d++)
			if ((c->by & (1u << d)) != 0)
				json_object_set_new(o,
				    supervision_stats_dims[d],
				    json_string(r->has[d] ? r->dim[d] : ""));
		json_t *f = figures_json(
		    r->households, r->person_times, r->amount_fen);
		json_object_update(o, f);
		json_decref(f);
		json_array_append_new(rows, o);
	}
	json_t *body = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "from",
	    day_json(c, c->has_from, c->from), "to",
	    day_json(c, c->has_to, c->to), "by", by_json(c->by), "rows", rows,
	    "total",
	    figures_json(set->total.households, set->total.person_times,
	        set->total.amount_fen),
	    "notes", json_array());
	sn_http_reply_json(c->req, 200, body);
}

static void
reply_csv(fig_req *c, const fig_set *set)
{
	static const char *const figs[]
	    = { "households", "person_times", "amount_fen", "amount_yuan" };
	char  *buf = NULL;
	size_t len = 0, cap = 0;
	bool   ok = true, first = true;

	for (unsigned d = 0; d < SUPERVISION_STATS_NDIMS; d++)
		if ((c->by & (1u << d)) != 0) {
			ok = ok && (first || append(&buf, &len, &cap, ",", 1))
			    && supervision_stats_csv_field(
			        &buf, &len, &cap, supervision_stats_dims[d]);
			first = false;
		}
	for (size_t f = 0; f < 4; f++)
		ok = ok && append(&buf, &len, &cap, ",", 1)
		    && supervision_stats_csv_field(&buf, &len, &cap, figs[f]);
	ok = ok && append(&buf, &len, &cap, "\r\n", 2);
	for (size_t i = 0; ok && i < set->n; i++) {
		const fig_row *r = &set->rows[i];
		char           v[4][32];

		first = true;
		for (unsigned d = 0; d < SUPERVISION_STATS_NDIMS; d++)
			if ((c->by & (1u << d)) != 0) {
				ok = ok
				    && (first
				        || append(&buf, &len, &cap, ",", 1))
				    && supervision_stats_csv_field(&buf, &len,
				        &cap, r->has[d] ? r->dim[d] : "");
				first = false;
			}
		snprintf(v[0], sizeof(v[0]), "%" PRId64, r->households);
		snprintf(v[1], sizeof(v[1]), "%" PRId64, r->person_times);
		snprintf(v[2], sizeof(v[2]), "%" PRId64, r->amount_fen);
		supervision_stats_yuan(r->amount_fen, v[3], sizeof(v[3]));
		for (size_t f = 0; f < 4; f++)
			ok = ok && append(&buf, &len, &cap, ",", 1)
			    && supervision_stats_csv_field(
			        &buf, &len, &cap, v[f]);
		ok = ok && append(&buf, &len, &cap, "\r\n", 2);
	}
	if (!ok) {
		free(buf);
		sn_http_reply_error(
		    c->req, 503, "unavailable", "out of memory; retry", NULL);
		return;
	}
	sn_http_reply_text(
	    c->req, 200, "text/csv; charset=utf-8; header=present", buf, len);
	free(buf);
}

static void
reply_district(fig_req *c, const fig_set *set)
{
	json_t        *progs = json_array();
	const fig_row *em    = NULL;
	char           sentence[SUPERVISION_STATS_SENTENCELEN];

	for (size_t i = 0; i < set->n; i++) {
		const fig_row *r = &set->rows[i];
		json_t        *o = figures_json(
		           r->households, r->person_times, r->amount_fen);

		json_object_set_new(o, "programme", json_string(r->dim[0]));
		json_array_append_new(progs, o);
		if (strcmp(r->dim[0], "emergency") == 0)
			em = r;
	}
	json_t *body = figures_json(set->total.households,
	    set->total.person_times, set->total.amount_fen);
	json_object_set_new(body, "from", day_json(c, c->has_from, c->from));
	json_object_set_new(body, "to", day_json(c, c->has_to, c->to));
	json_object_set_new(body, "sentence",
	    json_string(supervision_stats_district_sentence(
	        set->total.households, set->total.person_times,
	        set->total.amount_fen, sentence, sizeof(sentence))));
	json_object_set_new(body, "programmes", progs);
	json_t *e = figures_json(em != NULL ? em->households : 0,
	    em != NULL ? em->person_times : 0,
	    em != NULL ? em->amount_fen : 0);
	json_object_set_new(e, "sentence",
	    json_string(supervision_stats_emergency_sentence(
	        em != NULL ? em->person_times : 0,
	        em != NULL ? em->amount_fen : 0, sentence, sizeof(sentence))));
	json_object_set_new(body, "emergency", e);
	sn_http_reply_json(c->req, 200, body);
}

static void
figures_done(sn_err err, PGresult *res, void *arg)
{
	fig_req *c = arg;
	fig_set  set;

	if (err != SN_OK || res == NULL
	    || (err = read_set(res, c->by, &set)) != SN_OK) {
		if (err == SN_EPROTO)
			sn_log(SN_LOG_ERROR,
			    "supervision: the figures' rows do not read",
			    NULL);
		sn_http_reply_error(c->req, 503, "unavailable",
		    "the database is unavailable; retry", NULL);
		free(c);
		return;
	}
	switch (c->kind) {
	case FIG_CSV:
		reply_csv(c, &set);
		break;
	case FIG_DISTRICT:
		reply_district(c, &set);
		break;
	default:
		reply_json(c, &set);
	}
	free(set.rows);
	free(c);
}

static void
figures(sn_http_req *req, supervision *s, int kind)
{
	sn_problem       p;
	supervision_days d;
	unsigned         by = SUPERVISION_STATS_BY_PROGRAMME;
	const char      *bys
	    = kind == FIG_DISTRICT ? NULL : sn_http_query(req, "by");

	sn_problem_clear(&p);
	if (!supervision_query_days(req, &d, &p)) {
		sn_http_problem(req, &p);
		return;
	}
	if (bys != NULL
	    && (strlen(bys) > 64
	        || supervision_stats_parse_by(bys, &by) != SN_OK)) {
		sn_http_reply_error(req, 422, "invalid_query",
		    "by is a comma-separated list of programme, category, "
		    "tier, township, month, service and outcome, each at "
		    "most once",
		    "by");
		return;
	}
	fig_req *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		sn_http_reply_error(
		    req, 503, "unavailable", "out of memory; retry", NULL);
		return;
	}
	c->req      = req;
	c->kind     = kind;
	c->by       = by;
	c->has_from = d.has_from;
	c->has_to   = d.has_to;
	if (d.has_from)
		sn_date_format(d.from, c->from);
	if (d.has_to)
		sn_date_format(d.to, c->to);
	/* Coverage months: from the first whose 1st is within the range, to
	 * the month of its end or of today, whichever is earlier. */
	char    lo[SN_DATE_STRLEN], hi[SN_DATE_STRLEN];
	sn_date today = sn_clock_today(), end;

	end = d.has_to && sn_date_cmp(d.to, today) < 0 ? d.to : today;
	sn_date_format(sn_date_month_start(end), hi);
	if (d.has_from)
		sn_date_format(d.from.day == 1 ? d.from
		                               : sn_month_first(sn_month_add(
		                                   sn_date_month(d.from), 1)),
		    lo);
	const char *v[11] = { d.has_from ? c->from : NULL,
		d.has_to ? c->to : NULL, d.has_from ? lo : NULL, hi,
		(by & SUPERVISION_STATS_BY_PROGRAMME) ? "t" : "f",
		(by & SUPERVISION_STATS_BY_CATEGORY) ? "t" : "f",
		(by & SUPERVISION_STATS_BY_TIER) ? "t" : "f",
		(by & SUPERVISION_STATS_BY_TOWNSHIP) ? "t" : "f",
		(by & SUPERVISION_STATS_BY_MONTH) ? "t" : "f",
		(by & SUPERVISION_STATS_BY_SERVICE) ? "t" : "f",
		(by & SUPERVISION_STATS_BY_OUTCOME) ? "t" : "f" };
	sn_db_query(s->db, sql_figures(), 11, v, figures_done, c);
}

void
supervision_stats_get(sn_http_req *req, void *arg)
{
	figures(req, arg, FIG_JSON);
}

void
supervision_stats_csv(sn_http_req *req, void *arg)
{
	figures(req, arg, FIG_CSV);
}

void
supervision_stats_district(sn_http_req *req, void *arg)
{
	figures(req, arg, FIG_DISTRICT);
}
