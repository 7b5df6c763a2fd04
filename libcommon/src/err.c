#include "sn/err.h"

const char *
sn_strerror(sn_err err)
{
	switch (err) {
	case SN_OK:
		return "ok";
	case SN_ENOMEM:
		return "out of memory";
	case SN_EINVAL:
		return "invalid argument";
	case SN_ERANGE:
		return "value out of range";
	case SN_ENOTFOUND:
		return "not found";
	case SN_ECONFLICT:
		return "conflict";
	case SN_EDB:
		return "database error";
	case SN_ENNG:
		return "messaging error";
	case SN_EUV:
		return "event loop error";
	case SN_EIO:
		return "i/o error";
	case SN_ETIMEDOUT:
		return "timed out";
	case SN_ECLOSED:
		return "closed";
	case SN_EPROTO:
		return "protocol error";
	case SN_EAUTH:
		return "not authenticated";
	case SN_EDENIED:
		return "permission denied";
	case SN_EBUSY:
		return "busy";
	}
	return "unknown error";
}
