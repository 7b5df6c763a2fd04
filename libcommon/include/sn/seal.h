/*
 * sn/seal.h - personal data sealed at rest (design section 7, issue 11).
 *
 * Resident identity numbers and bank account numbers are stored sealed:
 * libsodium's XChaCha20-Poly1305 AEAD under a key of the keyring, with
 * the column's name as associated data (a sealed value copied into
 * another column does not open). A sealed value is text:
 *
 *     sn1.<kid>.<base64url of nonce || ciphertext>
 *
 * where kid names the key (so keys can be rotated: new values are sealed
 * under the keyring's first key; values under older keys still open).
 * Equality lookups go through a blind index: a keyed BLAKE2b-256 of the
 * value under a separate index key, in lower-case hex (64 characters);
 * the index key never rotates with the sealing keys.
 *
 * Settings (each may be given as <NAME>_FILE, sn/config.h):
 *   SN_SEAL_KEYS   the keyring: one key per line, "<kid>:<64 hex>", the
 *                  first line the key new values are sealed under; kid is
 *                  1..16 of a-z 0-9 -
 *   SN_BLIND_KEY   the blind-index key, 64 hex characters
 *
 * An sn_seal is never modified after sn_seal_open: every function may be
 * called from any thread.
 */
#ifndef SN_SEAL_H
#define SN_SEAL_H

#include <stddef.h>

#include "sn/err.h"

/* Length of a blind index in hex, without the NUL. */
#define SN_SEAL_INDEX_HEX 64

typedef struct sn_seal sn_seal;

/* Opens a sealer from the keyring and index key texts (as above).
 * SN_EINVAL for a malformed keyring or key (nothing of them is logged). */
sn_err sn_seal_open(sn_seal **out, const char *keyring, const char *blind_key);

/* Wipes the keys and frees s. NULL is a no-op. */
void sn_seal_close(sn_seal *s);

/* The sealer the service opened at start-up (sn/service.h), or NULL in a
 * process that has none. Set once by sn_seal_set_default. */
const sn_seal *sn_seal_default(void);
void           sn_seal_set_default(const sn_seal *s);

/* Seals plain under the current key with column as associated data
 * (e.g. "intake.member.id_number"). *out is malloc'd text; free() it.
 * SN_EINVAL for NULL arguments, SN_ENOMEM. */
sn_err sn_seal_text(
    const sn_seal *s, const char *column, const char *plain, char **out);

/* Opens a value sealed by sn_seal_text for the same column. *out is
 * malloc'd; free() it. SN_EINVAL for anything that does not open (a
 * malformed value, an unknown kid, another column, a forged tag). */
sn_err sn_seal_open_text(
    const sn_seal *s, const char *column, const char *sealed, char **out);

/* The blind index of plain for column, NUL-terminated hex in out. The
 * same value in the same column always has the same index. */
void sn_seal_index(const sn_seal *s, const char *column, const char *plain,
    char out[SN_SEAL_INDEX_HEX + 1]);

#endif /* SN_SEAL_H */
