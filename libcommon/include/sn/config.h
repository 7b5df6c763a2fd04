/*
 * sn/config.h - typed SN_* settings from the environment.
 *
 * Every getter reads one variable. A value that is missing when required,
 * or present but malformed or out of range, stops the program: one line on
 * stderr naming the variable and what it expected, for example
 *   safetynet: SN_HTTP_PORT: expected an integer from 1 to 65535, got "80x"
 * and exit status 2. Call these at start-up, from main, never later: a
 * running service does not exit over configuration.
 *
 * Every setting NAME may instead be given as NAME_FILE, the path of a
 * file that holds its value (one trailing newline is dropped): secrets
 * come from files, never from the environment or a compose file. Setting
 * both, or naming a file that cannot be read, stops the program as above.
 *
 * The sn_config_parse_* functions are the same checks without the exit,
 * for tests and for values that do not come from the environment.
 */
#ifndef SN_CONFIG_H
#define SN_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "sn/err.h"

/* Prints the one-line message and exits with status 2. */
_Noreturn void sn_config_fail(
    const char *name, const char *expected, const char *got);

/* The value of name, or def when unset or empty; def NULL means required. */
const char *sn_config_str(const char *name, const char *def);

/* An integer in [min, max]; def is used when unset or empty. */
int64_t sn_config_int(const char *name, int64_t def, int64_t min, int64_t max);

/* A required integer in [min, max]. */
int64_t sn_config_int_req(const char *name, int64_t min, int64_t max);

/* "1", "true", "yes", "on" or "0", "false", "no", "off". */
bool sn_config_bool(const char *name, bool def);

/*
 * An NNG URL: ipc://, tcp:// (host and port), tls+tcp:// or inproc://.
 * def NULL means required.
 */
const char *sn_config_url(const char *name, const char *def);

/*
 * SN_PARTITION-style "i/N" with 0 <= i < N <= 1024; unset or empty means
 * 0/1 (one instance takes everything).
 */
void sn_config_partition(const char *name, uint32_t *index, uint32_t *count);

/* The checks behind the getters. SN_EINVAL or SN_ERANGE on failure. */
sn_err sn_config_parse_int(
    const char *text, int64_t min, int64_t max, int64_t *out);
sn_err sn_config_parse_bool(const char *text, bool *out);
sn_err sn_config_parse_url(const char *text);
sn_err sn_config_parse_partition(
    const char *text, uint32_t *index, uint32_t *count);

#endif /* SN_CONFIG_H */
