/*
 * rules.h - the referrals' pure decisions (issue 13): the needs a
 * household's facts show on a day, the kinds of special assistance a
 * decision or a review routes it to, and what a department's answer must
 * hold. Structs in, decisions out: no I/O, clock, malloc or log (tested
 * by tables, tests/rules_test.c). Any thread.
 *
 * Needs (the vocabulary of seed/projects.json plus the costs), as of a
 * day, ages in whole years from the members' birth dates as the
 * catalogue counts them (services_match_age, match.h; a member without
 * one takes part in no need that asks an age):
 *   of the household (member 0)
 *     medical_costs, housing_costs, education_costs  the declared monthly
 *                          expenditure of that kind is above 0
 *     single_parent        at least one member under 18 and exactly one
 *                          member of 18 or more (one adult with the
 *                          children, whoever that adult is)
 *     major_illness        an emergency grant's cause was major illness
 *     disaster             ... a disaster or a fire
 *   of a member (1.. its place)
 *     school_age_child     aged 6 to 18
 *     preschool_child      aged 3 to 5
 *     unemployed_working_age  aged 16 to 59, able to work fully or
 *                          partly, while the household declares neither
 *                          wages nor business income
 *     elderly_alone        every member is 60 or older (each has it)
 *     self_care_limited    partially or not able to look after oneself
 *     disability           a disability grade (1-4)
 *     severe_disability    grade 1 or 2
 *
 * Routing. A decision (or a review's outcome) on a household whose
 * category is one of the refer categories (SN_SERVICES_REFER_CATEGORIES)
 * routes every kind with a route whose categories include it and one of
 * whose needs the household has: a kind with an age range once per member
 * of that range who has one of the needs (a need of the household counts
 * for every member), any other kind once for the household (member 0),
 * when any member or the household has one. A decision also routes, for
 * each type its `referrals` label names that no routed kind is of, that
 * type's default kind (seed `defaults`), for the household. A review
 * routes no defaults. A household in another category gets nothing.
 */
#ifndef SERVICES_RULES_H
#define SERVICES_RULES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sn/date.h"
#include "sn/problem.h"

/* Members of one household the service keeps (intake's limit is lower). */
#define SERVICES_MEMBERS_MAX 30
/* Needs of one household, every member's included. */
#define SERVICES_NEEDS_MAX 256
/* Referrals one decision or review may route. */
#define SERVICES_ROUTES_MAX 128
/* Needs named by one route rule, and so by one routed referral. */
#define SERVICES_ROUTE_NEEDS_MAX 8
/* A code (need, kind, department, category): a-z 0-9 _, at most 47. */
#define SERVICES_CODE_LEN 48

/* The special assistance a kind belongs to; the numbers are
 * sn.services.v1.AssistanceType's. */
typedef enum services_type {
	SERVICES_TYPE_NONE       = 0,
	SERVICES_TYPE_MEDICAL    = 1,
	SERVICES_TYPE_HOUSING    = 2,
	SERVICES_TYPE_EDUCATION  = 3,
	SERVICES_TYPE_EMPLOYMENT = 4,
	SERVICES_TYPE_OTHER      = 5,
} services_type;
#define SERVICES_NTYPES 6

/* "medical", "housing", "education", "employment", "other"; NULL for
 * NONE or an unknown value. */
const char *services_rules_type_name(services_type t);
/* The inverse; NONE for NULL or an unknown name. */
services_type services_rules_type_parse(const char *name);
/* A decision's label (sn.assist.v1.Referral: 1 medical .. 4 employment),
 * or emergency's ReferralKind (1 medical .. 4 employment; 5 dibao and 6
 * tekun are intake's business): the type, NONE for anything else. */
services_type services_rules_type_of_label(int referral);
services_type services_rules_type_of_emergency(int kind);

typedef enum services_labour {
	SERVICES_LABOUR_UNKNOWN,
	SERVICES_LABOUR_FULL,
	SERVICES_LABOUR_PARTIAL,
	SERVICES_LABOUR_NONE,
} services_labour;

typedef enum services_care {
	SERVICES_CARE_UNKNOWN,
	SERVICES_CARE_ABLE,
	SERVICES_CARE_PARTIAL,
	SERVICES_CARE_UNABLE,
} services_care;

/* An emergency grant's cause (sn.assist.v1.EmergencyCause's numbers). */
typedef enum services_cause {
	SERVICES_CAUSE_NONE          = 0,
	SERVICES_CAUSE_ACCIDENT      = 1,
	SERVICES_CAUSE_MAJOR_ILLNESS = 2,
	SERVICES_CAUSE_DISASTER      = 3,
	SERVICES_CAUSE_FIRE          = 4,
	SERVICES_CAUSE_OTHER         = 5,
} services_cause;

/* The names stored and shown ("full", "partially_able", "major_illness",
 * "" for unknown/none) and back (unknown for NULL or a strange name). */
const char     *services_rules_labour_name(services_labour l);
services_labour services_rules_labour_parse(const char *s);
const char     *services_rules_care_name(services_care c);
services_care   services_rules_care_parse(const char *s);
const char     *services_rules_cause_name(services_cause c);
services_cause  services_rules_cause_parse(const char *s);

typedef struct services_member_facts {
	bool            has_birth;
	sn_date         birth;
	services_labour labour;
	int32_t         disability_grade; /* 0 none, 1 (most severe) to 4 */
	services_care   self_care;
} services_member_facts;

/* What the service knows of a household. */
typedef struct services_facts {
	int64_t               wages_fen, business_fen; /* declared, monthly */
	int64_t               medical_fen, housing_fen, education_fen;
	services_cause        cause; /* an emergency grant's, if any */
	size_t                nmembers;
	services_member_facts members[SERVICES_MEMBERS_MAX]; /* place i+1 */
} services_facts;

/* One need: member 0 the household's, else the member's place. need
 * points at a static name (the rules') or at the caller's storage. */
typedef struct services_need {
	int32_t     member;
	const char *need;
} services_need;

/* The needs f shows on asof, into out (at most cap; the household's
 * first, then each member's in place order); returns how many. */
size_t services_rules_needs(
    const services_facts *f, sn_date asof, services_need *out, size_t cap);

/* A kind's `route` (seed/departments.json). */
typedef struct services_route_rule {
	const char *const *needs; /* any of them */
	size_t             nneeds;
	const char *const *categories; /* the household's must be one */
	size_t             ncategories;
	bool               per_member; /* an age range: once per member */
	int32_t            min_age, max_age; /* inclusive, when per_member */
} services_route_rule;

/* A kind of special assistance, as routing needs it. */
typedef struct services_kind_def {
	const char         *code;
	const char         *department;
	services_type       type;
	int32_t             deadline_days;
	bool                has_route;
	services_route_rule route;
} services_kind_def;

typedef struct services_route_in {
	const char              *category; /* "expenditure", ... */
	const char *const       *refer;    /* the refer categories */
	size_t                   nrefer;
	const services_kind_def *kinds; /* the registry's, in its order */
	size_t                   nkinds;
	/* Each type's default kind (NULL: none), by services_type. */
	const services_kind_def *defaults[SERVICES_NTYPES];
	const services_need     *needs; /* derived and staff-noted */
	size_t                   nneeds;
	size_t                   nmembers;
	const int32_t           *ages; /* ages[i] of place i+1; -1 unknown */
	/* Bit 1u << type for each type the decision's label names; 0 for a
	 * review. */
	unsigned labels;
} services_route_in;

/* One referral to make: the kind, the member (0 the household) and the
 * needs of the kind's route that made it (borrowed from the kind). */
typedef struct services_route {
	const services_kind_def *kind;
	int32_t                  member;
	const char              *needs[SERVICES_ROUTE_NEEDS_MAX];
	size_t                   nneeds;
} services_route;

/* True if v is one of list[0..n). */
bool services_rules_in_list(const char *v, const char *const *list, size_t n);

/* The needs of k's route that member has (0: the household or any
 * member; else that member or the household) into out (at most
 * SERVICES_ROUTE_NEEDS_MAX, borrowed from k); returns how many. */
size_t services_rules_kind_needs(const services_route_in *in,
    const services_kind_def *k, int32_t member, const char **out);

/* The need an emergency grant's cause brings: "major_illness",
 * "disaster" (a disaster or a fire), or NULL. */
const char *services_rules_cause_need(services_cause c);

/* The referrals in routes to (at most cap, in the registry's order of
 * kinds, members ascending, then defaults by type); returns how many. */
size_t services_rules_route(
    const services_route_in *in, services_route *out, size_t cap);

/* A department's answer (POST /department-referrals/{id}/answer). */
typedef enum services_outcome {
	SERVICES_OUTCOME_ACCEPTED = 1,
	SERVICES_OUTCOME_DECLINED = 2,
} services_outcome;

typedef struct services_answer {
	services_outcome outcome;
	const char      *grant;       /* accepted: what it grants, in words */
	int64_t          amount_fen;  /* accepted: >= 0 (0 for a service) */
	const char      *amount_per;  /* "month", "once", "term", "year", "" */
	sn_date          from_date;   /* accepted */
	const char      *reason_code; /* declined: a code */
	const char      *reason;      /* declined: in words */
	const char      *note;
} services_answer;

/*
 * Reads an answer's body: {"outcome": "accepted", "grant", "amount_fen",
 * "amount_per", "from_date", "note"} or {"outcome": "declined",
 * "reason_code", "reason", "note"}; members of the other outcome are 422
 * unknown_field. Strings are borrowed from body. false with *p (422).
 */
bool services_rules_answer_read(
    const json_t *body, services_answer *a, sn_problem *p);

/* May a department user of unit answer a referral of department now in
 * status ("routed", "accepted", "declined")? 403 not_your_department,
 * 409 already_answered. */
bool services_rules_may_answer(const char *unit, const char *department,
    const char *status, sn_problem *p);

/* An answer on answered is late when it is after the deadline day. */
bool services_rules_late(sn_date answered, sn_date deadline);

/* True if s is a code: 1..47 of a-z 0-9 _, starting with a letter. */
bool services_rules_code_valid(const char *s);

#endif /* SERVICES_RULES_H */
