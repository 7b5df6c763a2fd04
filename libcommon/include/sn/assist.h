/*
 * sn/assist.h - the names of the assistance enums of proto/sn/assist/v1
 * as they appear in JSON and logs ("tekun", "urban", "partially_able",
 * ...), one table for every service.
 *
 * Each function takes the enum's integer value and returns a static string,
 * or NULL for UNSPECIFIED and any value it does not know; sn_assist_or
 * supplies the caller's word for those. The parse functions are the
 * inverse and return 0 (UNSPECIFIED) for a name they do not know. Pure,
 * callable from any thread.
 */
#ifndef SN_ASSIST_H
#define SN_ASSIST_H

/* "tekun", "dibao", "expenditure", "low_income", "emergency", "none". */
const char *sn_assist_category_name(int category);
int         sn_assist_category_parse(const char *name);

/* "core", "edge", "universal". */
const char *sn_assist_tier_name(int tier);

/* "urban", "rural". */
const char *sn_assist_registration_name(int registration);

/* "full", "partial", "none". */
const char *sn_assist_labour_name(int labour_capacity);

/* "able", "partially_able", "unable". */
const char *sn_assist_self_care_name(int self_care);

/* "medical", "housing", "education", "employment". */
const char *sn_assist_referral_name(int referral);
int         sn_assist_referral_parse(const char *name);

/* name, or dflt when name is NULL. */
static inline const char *
sn_assist_or(const char *name, const char *dflt)
{
	return name != 0 ? name : dflt;
}

#endif /* SN_ASSIST_H */
