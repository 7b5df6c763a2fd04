/*
 * stats.h - statistics across programmes (issue 12 item 6): households,
 * person-times (人次) and money by programme, category, tier, township,
 * month, service and outcome, for any range of district days, and the
 * district's figures in the seed's form ("救助 N户、M人次，发放 X元";
 * "临时救助 K人次，Y元").
 *
 * What counts (the one definition; the API's description repeats it):
 *
 *   Facts. Each fact counts on one district day (sn/clock.h: UTC moved
 *   by SN_DISTRICT_UTC_OFFSET_MIN) and in that day's month; a range
 *   [from, to] takes the facts whose day is within it (both ends
 *   included, either may be left open).
 *
 *   - dibao, tekun, price_subsidy: every payment disbursement settled
 *     (payment.settled, with payment.scheduled's township), counted on
 *     the first day of the month it pays for (ref.period; a back-payment,
 *     补发, carries the month of the run that pays it). Money: its
 *     amount. Person-times: the members of the household in that month
 *     (the register's latest word on it, beneficiary.changed), once per
 *     beneficiary, programme and month paid for: a back-payment for a
 *     month already paid adds money, not persons. Category and tier: the
 *     programme's for dibao and tekun (core); a price-subsidy line's are
 *     the household's in the register that month (dibao, tekun,
 *     low_income).
 *   - low_income, expenditure (edge tier, 边缘延伸): no benefit of their
 *     own (the low-income household's price subsidy counts under
 *     price_subsidy), so their figures are coverage: every month in
 *     which the register holds the household in that category, active or
 *     in gradual exit, counted on the month's first day (months up to the
 *     current one). Person-times: its members that month; money: 0.
 *   - emergency (临时救助): every emergency.granted (one per instalment of
 *     transitional aid), counted on the day it was granted (a later
 *     instalment on the day it was published); money: the amount, less
 *     every reversal of a failed payment (reserve.changed, movement
 *     reversal), which counts on its grant's day, so that a range's money
 *     is what was granted in it net of what was credited back;
 *     person-times: 1 per grant (the person helped, at the first
 *     instalment). disbursement's payments of grants are not counted
 *     again.
 *   - special_assistance (issue 13, services): every referral to a
 *     member department (referral.routed), counted on the day it was
 *     routed: one person-time (the member referred), money 0 (what a
 *     department grants is its own budget's, in amounts per month, term
 *     or once that do not add up; it is on the household's chain).
 *     Category and tier: the household's when routed; service: the
 *     department; outcome: the referral's state now, "routed" (no
 *     answer yet), "overdue" (services' referral.overdue, still no
 *     answer), "accepted" or "declined" (referral.answered).
 *   - service_projects (issue 13, services): every place given in a
 *     service project (enrolment.changed, enrolled), on its day, and
 *     every session delivered (session), on the session's day: one
 *     person-time each (服务人次). Service: the project's domain;
 *     outcome: "enrolled" or "ended" for a place (its state now),
 *     "session" for a session. Category and tier: none ("").
 *   The other programmes have service and outcome "".
 *
 *   Households: distinct households (households.h: supervision's own id;
 *   an event not linked yet counts by its beneficiary or grant id) with a
 *   person or money in the group, net of reversals (an instalment credited
 *   back in the range counts no household). Person-times add up across
 *   programmes: a dibao household paid a price subsidy the same month
 *   counts in both (人次 counts assistance given, not people).
 *
 * The seed's "9万余人次, 1.12亿元" in these terms: over 90,000 persons
 * covered in the months of the range, summed over the months and the
 * programmes (in a year, some 7,500 a month), and 112 million yuan of
 * settled payments and grants net of reversals; its "1493人次, 171.55万元"
 * is 1,493 emergency grants of 1,715,500 yuan net of reversals.
 *
 * The facts are kept by the on_event hook in indexed tables
 * (schema/008_stats.sql, 009_services_stats.sql), one row per payment,
 * grant, reversal, register version, referral, place and session (a
 * referral's and a place's outcome updated as their answer or end
 * comes); a query sums rows, joining the household links and
 * the register at query time, since the streams are not ordered against
 * each other (a payment may be applied before its beneficiary is).
 *
 * GET /statistics, GET /statistics.csv, GET /statistics/district: see
 * proto/openapi.yaml.
 *
 * The pure functions are for any thread; the rest runs on the loop.
 */
#ifndef SUPERVISION_STATS_H
#define SUPERVISION_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/date.h"
#include "sn/http.h"
#include "supervision.h"

/* The programmes, in the order the answers list them. */
#define SUPERVISION_STATS_NPROGRAMMES 8
extern const char
    *const supervision_stats_programmes[SUPERVISION_STATS_NPROGRAMMES + 1];

/* The dimensions of `by`, as bits. */
enum {
	SUPERVISION_STATS_BY_PROGRAMME = 1u << 0,
	SUPERVISION_STATS_BY_CATEGORY  = 1u << 1,
	SUPERVISION_STATS_BY_TIER      = 1u << 2,
	SUPERVISION_STATS_BY_TOWNSHIP  = 1u << 3,
	SUPERVISION_STATS_BY_MONTH     = 1u << 4,
	SUPERVISION_STATS_BY_SERVICE   = 1u << 5,
	SUPERVISION_STATS_BY_OUTCOME   = 1u << 6,
};
#define SUPERVISION_STATS_NDIMS 7
/* Their names, in column order ("programme", ..., "month", "service",
 * "outcome"). */
extern const char *const supervision_stats_dims[SUPERVISION_STATS_NDIMS];

/*
 * Parses a `by` value: names of dimensions separated by commas
 * ("township,month"), each at most once, into bits. NULL or "" is
 * programme. SN_EINVAL for an unknown, empty or repeated name.
 */
sn_err supervision_stats_parse_by(const char *s, unsigned *out);

/*
 * The district day of an RFC 3339 time ("2027-01-31T16:30:00.123Z",
 * "2027-02-01T00:30:00+08:00"): its instant moved by offset_min minutes
 * from UTC. So 2027-01-31T16:30:00Z is 2027-02-01 (month 2027-02) in a
 * district at UTC+8. SN_EINVAL when s is not such a time.
 */
sn_err supervision_stats_day_of(
    const char *s, int32_t offset_min, sn_date *out);

/*
 * Chinese figures as the seed writes them. A count below 10,000 exactly
 * ("1493"); above, in 万 or 亿 rounded down, with 余 when something was
 * dropped ("9万余", "3万", "1亿余"). Money from fen (never a float):
 * below 10,000 yuan exactly, without trailing zeros ("3200", "3200.5",
 * "0.07"); from 1万 yuan in 万 with two decimals ("171.55万"), from 1亿
 * in 亿 ("1.12亿"), rounded half up, trailing zeros dropped ("1.1亿");
 * negative with "-". Each writes NUL-terminated text into buf (cap bytes,
 * at least 32) and returns buf.
 */
#define SUPERVISION_STATS_ZHLEN 48
char *supervision_stats_count_zh(int64_t n, char *buf, size_t cap);
char *supervision_stats_yuan_zh(int64_t fen, char *buf, size_t cap);

/* "救助N户、M人次，发放X元" and "临时救助K人次，Y元" (buf as above, at least
 * 160 bytes). */
#define SUPERVISION_STATS_SENTENCELEN 192
char *supervision_stats_district_sentence(int64_t households,
    int64_t person_times, int64_t fen, char *buf, size_t cap);
char *supervision_stats_emergency_sentence(
    int64_t person_times, int64_t fen, char *buf, size_t cap);

/*
 * Fen as exact yuan text with two decimals ("1234.50", "-0.07"); buf at
 * least 24 bytes. For the CSV's and the answers' amount_yuan.
 */
char *supervision_stats_yuan(int64_t fen, char *buf, size_t cap);

/*
 * One CSV field as RFC 4180 writes it: quoted (its quotes doubled) when
 * it holds a comma, a quote, CR or LF; as is otherwise. Appends to *buf
 * (malloc'd, *len bytes used, *cap allocated, NUL-terminated); false
 * without memory.
 */
bool supervision_stats_csv_field(
    char **buf, size_t *len, size_t *cap, const char *field);

/* The on_event hook (supervision.h). */
sn_err supervision_stats_on_event(
    supervision *s, sn_tx *tx, const supervision_event *e);

/* GET /statistics, /statistics.csv and /statistics/district; arg is the
 * supervision. */
void supervision_stats_get(sn_http_req *req, void *arg);
void supervision_stats_csv(sn_http_req *req, void *arg);
void supervision_stats_district(sn_http_req *req, void *arg);

#endif /* SUPERVISION_STATS_H */
