/*
 * events.h - the emergency service's events, both ways (handlers.h lists
 * them): the ones it publishes, encoded here and appended to the outbox in
 * the caller's transaction (sn_bus_append_msg), and the ones it follows,
 * as one table of topic → handler (sn_bus_on_table: a handler gets the
 * decoded message, which the bus owns and frees).
 *
 * Loop thread only. Rows and strings passed in are borrowed for the call:
 * each event is packed before the function returns.
 */
#ifndef EMERGENCY_EVENTS_H
#define EMERGENCY_EVENTS_H

#include "handlers.h"
#include "rules.h"
#include "sn/bus.h"
#include "sn/db.h"
#include "store.h"

/* Registers the handlers of the events followed (the publishers are
 * followed already: sn_service_def.follows). */
sn_err emergency_events_follow(emergency *em);

/* A fund's movement, for reserve.changed. */
typedef enum emergency_movement_kind {
	EMERGENCY_MOVE_ALLOCATION = 0,
	EMERGENCY_MOVE_GRANT,
	EMERGENCY_MOVE_REVERSAL,
	EMERGENCY_MOVE_SETTLEMENT,
} emergency_movement_kind;

typedef struct emergency_reserve_change {
	const char             *township_code;
	emergency_movement_kind movement;
	int64_t                 amount_fen;  /* signed: a grant is < 0 */
	int64_t                 balance_fen; /* after the movement */
	const char             *ledger_entry_id;
	const char             *grant_id; /* NULL: none */
	const char             *actor;
} emergency_reserve_change;

/* reserve.changed, subject the township. */
sn_err emergency_events_reserve(
    sn_bus *bus, sn_tx *tx, const emergency_reserve_change *c);

/*
 * emergency.granted for grant g (just debited), subject its id. k 0: a
 * grant paid at once (amount_fen and total_fen its amount); k 1..n:
 * instalment k of transitional aid (amount_fen the monthly amount,
 * total_fen the whole grant, instalments n).
 */
sn_err emergency_events_granted(sn_bus *bus, sn_tx *tx,
    const emergency_grant *g, int32_t k, const char *actor);

/* A referral of a grant, for referral.created. */
typedef struct emergency_referral_event {
	const char             *referral_id;
	emergency_referral_kind kind;
	const char             *department; /* NULL: none */
	const char             *note;       /* NULL: none */
	const char             *created_by;
} emergency_referral_event;

/* referral.created for a referral of grant g, filled from the grant;
 * subject the grant's id. */
sn_err emergency_events_referral(sn_bus *bus, sn_tx *tx,
    const emergency_grant *g, const emergency_referral_event *r);

#endif /* EMERGENCY_EVENTS_H */
