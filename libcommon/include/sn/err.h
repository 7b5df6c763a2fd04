/*
 * sn/err.h - the error codes of libcommon and the services.
 *
 * A fallible function returns sn_err (SN_OK is 0) and hands results back
 * through out-parameters. Foreign codes (nng, libpq SQLSTATE, libuv errno)
 * are translated at the boundary where they arise and logged there; they
 * never travel upward raw.
 */
#ifndef SN_ERR_H
#define SN_ERR_H

typedef enum sn_err {
	SN_OK = 0,
	SN_ENOMEM,    /* out of memory */
	SN_EINVAL,    /* bad argument or malformed input */
	SN_ERANGE,    /* a value outside its range (money overflow, ...) */
	SN_ENOTFOUND, /* no such thing */
	SN_ECONFLICT, /* conflicts with existing state (unique key, ...) */
	SN_EDB,       /* the database failed or refused */
	SN_ENNG,      /* an NNG socket failed */
	SN_EUV,       /* libuv failed */
	SN_EIO,       /* file or system call failed */
	SN_ETIMEDOUT, /* a deadline passed */
	SN_ECLOSED,   /* the object is closing or closed */
	SN_EPROTO,    /* a peer sent something malformed */
	SN_EAUTH,     /* missing or bad credentials */
	SN_EDENIED,   /* credentials fine, but not allowed */
	SN_EBUSY,     /* try again later */
} sn_err;

/* A static, human-readable name for err; never NULL. */
const char *sn_strerror(sn_err err);

#endif /* SN_ERR_H */
