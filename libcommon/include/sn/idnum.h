/*
 * sn/idnum.h - resident identity numbers (GB 11643-1999).
 *
 * 18 characters: a 6-digit region code (first digit 1-9), the birth date
 * as YYYYMMDD (a real calendar date from 1900-01-01 on, not after today
 * when a "today" is given), a 3-digit sequence (odd for men, even for
 * women), and a check character computed by ISO 7064 MOD 11-2 over the 17
 * digits before it ('0'-'9' or 'X'; a lowercase 'x' is refused, inputs are
 * normalised by the caller). Anything else is refused, embedded NUL and
 * non-ASCII bytes included: the length is passed explicitly for that
 * reason. Pure functions, no allocation, callable from any thread.
 */
#ifndef SN_IDNUM_H
#define SN_IDNUM_H

#include <stdbool.h>
#include <stddef.h>

#include "sn/err.h"

typedef struct sn_idnum {
	char region[7];   /* 6 digits and NUL */
	int  birth_year;  /* e.g. 1987 */
	int  birth_month; /* 1-12 */
	int  birth_day;   /* 1-31 */
	bool male;        /* from the parity of the sequence */
} sn_idnum;

/*
 * The check character for the first 17 characters, which must be digits;
 * returns 0 if any is not.
 */
char sn_idnum_check_char(const char *first17);

/*
 * Validates s[0..len) and, when out is not NULL, fills it in.
 * today_yyyymmdd (e.g. 20261129) refuses a birth date after it; 0 skips
 * that check. SN_EINVAL for anything that is not a valid number.
 */
sn_err sn_idnum_parse(
    const char *s, size_t len, int today_yyyymmdd, sn_idnum *out);

/* Shorthand: a NUL-terminated string that is a valid number. */
bool sn_idnum_valid(const char *s);

#endif /* SN_IDNUM_H */
