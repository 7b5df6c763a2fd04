/*
 * sn/money.h - money as an integer count of fen (0.01 yuan).
 *
 * Never a float, anywhere. Every operation that can overflow int64_t
 * says so by returning SN_ERANGE and leaving *out untouched. Pure
 * functions, callable from any thread.
 */
#ifndef SN_MONEY_H
#define SN_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include "sn/err.h"

typedef int64_t sn_fen;

#define SN_FEN_PER_YUAN 100

sn_err sn_fen_add(sn_fen a, sn_fen b, sn_fen *out);
sn_err sn_fen_sub(sn_fen a, sn_fen b, sn_fen *out);
/* a times a count (members, months). */
sn_err sn_fen_mul(sn_fen a, int64_t k, sn_fen *out);
/* a divided by a positive count, rounded toward negative infinity. */
sn_err sn_fen_div_floor(sn_fen a, int64_t k, sn_fen *out);
/* a divided by a positive count, rounded toward positive infinity. */
sn_err sn_fen_div_ceil(sn_fen a, int64_t k, sn_fen *out);
/* Rounds up to whole yuan: 83001 -> 83100, -150 -> -100, 500 -> 500. */
sn_err sn_fen_ceil_yuan(sn_fen a, sn_fen *out);
/* Yuan to fen: 830 -> 83000. */
sn_err sn_fen_from_yuan(int64_t yuan, sn_fen *out);

/* Room for any sn_fen formatted, sign and NUL included. */
#define SN_FEN_FMT_MAX 32

/* "1234.56", "-0.05", "0.00". Returns buf. */
char *sn_fen_format(sn_fen a, char buf[SN_FEN_FMT_MAX]);

/*
 * Parses "1234", "1234.5", "1234.56", optionally with a leading '-';
 * nothing else (no exponent, no spaces, no more than 2 decimals).
 */
sn_err sn_fen_parse(const char *text, sn_fen *out);

#endif /* SN_MONEY_H */
