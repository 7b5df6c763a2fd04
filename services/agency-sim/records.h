/*
 * agency-sim/records.h - what the simulated agencies "hold" on a person.
 *
 * agency_sim_record_derive is pure and deterministic: the same identity
 * number always gets the same record (a 64-bit FNV-1a hash of the number,
 * stretched with splitmix64), with a realistic spread for applicants of
 * social assistance:
 *   public security  registered 99.5 %, alive 99 %
 *   human resources  wages: 55 % none, 30 % 1,500-4,500 yuan, 15 %
 *                    4,500-12,000 yuan; pension for those born before
 *                    1965: 60 % 1,000-3,500 yuan; unemployment benefit
 *                    3 % (1,000-1,800 yuan); social insurance when any
 *                    of these is paid
 *   housing          homes: 77 % none, 20 % one, 3 % two
 *   vehicles         4 % one vehicle, 2 % one exempt vehicle
 *   market           3 % one business with 10,000-500,000 yuan capital
 *   tax              taxed income = wages; 5 % of earners have 1,000-
 *                    5,000 yuan more (income human resources misses)
 *   banks            deposits: 70 % 0-5,000 yuan, 25 % 5,000-50,000,
 *                    5 % 50,000-300,000; financial assets 5 % 10,000-
 *                    100,000 yuan
 *   provident fund   60 % of earners: balance 5,000-80,000 yuan, monthly
 *                    24 % of wages
 * All money is int64 fen.
 *
 * A fixture (JSON object, number -> record) overrides the derivation
 * for the numbers it names; a fixture record's missing fields are
 * registered = alive = true and 0 elsewhere. Keys are PersonRecord's
 * field names (sn/agency/v1/agency.proto); an unknown key, a wrong type
 * or a negative figure is refused. A fixture is read-only once parsed
 * and may be searched from any thread.
 */
#ifndef AGENCY_SIM_RECORDS_H
#define AGENCY_SIM_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/err.h"

#define AGENCY_SIM_NAGENCIES 8

/* Agencies by protocol value - 1: "PUBLIC_SECURITY", ... (env names). */
const char *agency_sim_agency_env(int index);
/* "public_security", ... (metric labels). */
const char *agency_sim_agency_name(int index);

typedef struct agency_sim_record {
	bool    registered, alive;
	int64_t wages_fen, pension_fen, unemployment_fen;
	bool    social_insurance;
	int32_t homes, vehicles, exempt_vehicles, businesses;
	int64_t business_capital_fen, taxed_income_fen;
	int64_t deposits_fen, financial_assets_fen;
	int64_t pf_balance_fen, pf_monthly_fen;
} agency_sim_record;

/* Whether a and b say the same of a person, field by field. */
bool agency_sim_record_equal(
    const agency_sim_record *a, const agency_sim_record *b);

/* The record derived from id (any string; an 18-character number's
 * birth year decides pensions). Pure. */
void agency_sim_record_derive(const char *id, agency_sim_record *out);

typedef struct agency_sim_fixture agency_sim_fixture;

/*
 * Parses fixture JSON text. On SN_OK *out is a new fixture (free with
 * agency_sim_fixture_free); on SN_EINVAL err (cap bytes) says what is
 * wrong and where.
 */
sn_err agency_sim_fixture_parse(
    const char *text, agency_sim_fixture **out, char *err, size_t cap);

/* The fixture's record for id, or NULL. Any thread. */
const agency_sim_record *agency_sim_fixture_find(
    const agency_sim_fixture *f, const char *id);

/* Number of records. */
size_t agency_sim_fixture_count(const agency_sim_fixture *f);

/* NULL: no-op. */
void agency_sim_fixture_free(agency_sim_fixture *f);

/* The record for id: the fixture's (f may be NULL) or the derived one. */
void agency_sim_record_get(
    const agency_sim_fixture *f, const char *id, agency_sim_record *out);

/*
 * What the agencies' own notices (POST /notices, notices.h) changed in
 * their records since: a death makes the person not alive, a new job
 * sets the wages to the notice's monthly wage (the latest notice wins).
 * The loop adds (agency_sim_overlay_death, _wage) once a notice has
 * committed; NNG's threads read (agency_sim_overlay_apply): every call
 * takes the overlay's mutex, so any thread may call any of them.
 */
typedef struct agency_sim_overlay agency_sim_overlay;

/* A new empty overlay, or NULL without memory. */
agency_sim_overlay *agency_sim_overlay_new(void);
/* NULL: no-op. */
void agency_sim_overlay_free(agency_sim_overlay *o);
/* id (at most 18 characters) died: SN_OK, SN_EINVAL, SN_ENOMEM. */
sn_err agency_sim_overlay_death(agency_sim_overlay *o, const char *id);
/* id has a new job paying wage_fen a month: SN_OK, SN_EINVAL, SN_ENOMEM. */
sn_err agency_sim_overlay_wage(
    agency_sim_overlay *o, const char *id, int64_t wage_fen);
/* Changes *rec, the record of id, by what the notices said (o may be
 * NULL). */
void agency_sim_overlay_apply(
    agency_sim_overlay *o, const char *id, agency_sim_record *rec);
/* Persons the notices changed. */
size_t agency_sim_overlay_count(agency_sim_overlay *o);

#endif /* AGENCY_SIM_RECORDS_H */
