/*
 * sn-bus - the operator's command for a follower's bus streams (design
 * section 2, item 7).
 *
 *   sn-bus --db URL --schema S streams
 *   sn-bus --db URL --schema S resync PUBLISHER --from N [--epoch E]
 *          [--part I/N]
 *
 * Works on the follower's own database (its bus_cursor rows); URL may
 * also come from SN_DB_URL (or SN_DB_URL_FILE). `streams` lists every
 * followed stream: publisher, partition, cursor, epoch, and whether it is
 * halted, why and since when. `resync` sets the stream's cursor to N-1
 * (the next event applied is N), clears the halt and the recorded epoch
 * (adopted again from the next replay answer, or set to E with --epoch),
 * and says what it did; a running follower that is halted notices within
 * two seconds and replays from N. Resync a running stream only when it is
 * halted (or the follower is stopped): a running follower that is not
 * halted notices the change only at its next batch.
 *
 * Exit status: 0 done, 1 failure (the database, no such stream), 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "sn/config.h"
#include "sn/db.h"

static const char SQL_STREAMS[]
    = "SELECT publisher, part, last_seq, coalesce(epoch::text, '-') AS epoch,"
      " coalesce(halted_reason, '') AS reason,"
      " coalesce(to_char(halted_at AT TIME ZONE 'UTC',"
      " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '') AS since"
      " FROM bus_cursor ORDER BY publisher, part";

/* The old row is read under the UPDATE's lock (FOR UPDATE in the CTE), so
 * what is printed is what was replaced. */
static const char SQL_RESYNC[]
    = "WITH old AS (SELECT publisher, part, last_seq, halted_reason"
      "  FROM bus_cursor WHERE publisher = $1 AND ($4 = '' OR part = $4)"
      "  FOR UPDATE)"
      " UPDATE bus_cursor c SET last_seq = $2::int8 - 1,"
      " epoch = NULLIF($3, '')::uuid, halted_reason = NULL,"
      " halted_at = NULL, updated_at = now()"
      " FROM old WHERE c.publisher = old.publisher AND c.part = old.part"
      " RETURNING c.part, old.last_seq AS was,"
      " coalesce(old.halted_reason, '') AS reason";

typedef struct stream_row {
	const char *publisher, *part, *epoch, *reason, *since;
	int64_t     last_seq;
} stream_row;
static const sn_col stream_cols[] = {
	SN_COL(stream_row, publisher, SN_COL_TEXT),
	SN_COL(stream_row, part, SN_COL_TEXT),
	SN_COL(stream_row, last_seq, SN_COL_I64),
	SN_COL(stream_row, epoch, SN_COL_TEXT),
	SN_COL(stream_row, reason, SN_COL_TEXT),
	SN_COL(stream_row, since, SN_COL_TEXT),
};

typedef struct resync_row {
	const char *part, *reason;
	int64_t     was;
} resync_row;
static const sn_col resync_cols[] = {
	SN_COL(resync_row, part, SN_COL_TEXT),
	SN_COL(resync_row, was, SN_COL_I64),
	SN_COL(resync_row, reason, SN_COL_TEXT),
};

static _Noreturn void
usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "sn-bus: %s\n", why);
	fputs("usage: sn-bus --db URL --schema S streams\n"
	      "       sn-bus --db URL --schema S resync PUBLISHER --from N"
	      " [--epoch E] [--part I/N]\n",
	    stderr);
	exit(2);
}

static int
fail(PGconn *pg, const char *what)
{
	fprintf(stderr, "sn-bus: %s: %s", what,
	    pg != NULL ? PQerrorMessage(pg) : "out of memory\n");
	PQfinish(pg);
	return 1;
}

static int
cmd_streams(PGconn *pg)
{
	PGresult *res = PQexec(pg, SQL_STREAMS);
	sn_rows   rows;
	if (PQresultStatus(res) != PGRES_TUPLES_OK
	    || sn_rows_open(&rows, res, stream_cols, SN_NCOLS(stream_cols))
	        != SN_OK) {
		PQclear(res);
		return fail(pg, "cannot read the streams");
	}
	printf("%-16s %-6s %12s  %-36s  %s\n", "PUBLISHER", "PART", "CURSOR",
	    "EPOCH", "STATE");
	for (int i = 0; i < sn_rows_count(&rows); i++) {
		stream_row r;
		if (sn_rows_read(&rows, i, &r) != SN_OK)
			continue;
		printf("%-16s %-6s %12lld  %-36s  ", r.publisher, r.part,
		    (long long) r.last_seq, r.epoch);
		if (r.reason[0] != '\0')
			printf("HALTED since %s: %s\n", r.since, r.reason);
		else
			printf("running\n");
	}
	sn_rows_close(&rows);
	PQclear(res);
	PQfinish(pg);
	return 0;
}

static int
cmd_resync(PGconn *pg, const char *publisher, long long from,
    const char *epoch, const char *part)
{
	char f[24];
	snprintf(f, sizeof(f), "%lld", from);
	const char *v[4]
	    = { publisher, f, epoch ? epoch : "", part ? part : "" };
	PGresult *res
	    = PQexecParams(pg, SQL_RESYNC, 4, NULL, v, NULL, NULL, 0);
	sn_rows rows;
	if (PQresultStatus(res) != PGRES_TUPLES_OK
	    || sn_rows_open(&rows, res, resync_cols, SN_NCOLS(resync_cols))
	        != SN_OK) {
		PQclear(res);
		return fail(pg, "cannot resync");
	}
	int n = sn_rows_count(&rows);
	if (n == 0)
		fprintf(stderr, "sn-bus: no stream of publisher %s%s%s\n",
		    publisher, part ? " in partition " : "", part ? part : "");
	for (int i = 0; i < n; i++) {
		resync_row r;
		if (sn_rows_read(&rows, i, &r) != SN_OK)
			continue;
		printf("%s %s: cursor %lld -> %lld (next event applied: %lld);"
		       " %s%s; epoch %s\n",
		    publisher, r.part, (long long) r.was, from - 1, from,
		    r.reason[0] ? "halt cleared, was: " : "was not halted",
		    r.reason, epoch ? epoch : "adopted from the next replay");
	}
	sn_rows_close(&rows);
	PQclear(res);
	PQfinish(pg);
	return n > 0 ? 0 : 1;
}

static PGconn *
connect_schema(const char *url, const char *schema)
{
	PGconn *pg = PQconnectdb(url);
	if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
		fail(pg, "cannot connect");
		exit(1);
	}
	char *ident = PQescapeIdentifier(pg, schema, strlen(schema));
	char  sql[512];
	snprintf(
	    sql, sizeof(sql), "SET search_path TO %s", ident ? ident : "");
	PQfreemem(ident);
	PGresult *res = PQexec(pg, sql);
	bool      ok  = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	if (!ok) {
		fail(pg, "cannot use the schema");
		exit(1);
	}
	return pg;
}

int
main(int argc, char **argv)
{
	const char *url = NULL, *schema = NULL, *epoch = NULL, *part = NULL;
	const char *words[3] = { NULL, NULL, NULL };
	long long   from     = -1;
	int         nwords   = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) != 0) {
			if (nwords == 3)
				usage("too many words");
			words[nwords++] = a;
			continue;
		}
		if (i + 1 >= argc)
			usage("an option needs a value");
		const char *v = argv[++i];
		if (strcmp(a, "--db") == 0)
			url = v;
		else if (strcmp(a, "--schema") == 0)
			schema = v;
		else if (strcmp(a, "--epoch") == 0)
			epoch = v;
		else if (strcmp(a, "--part") == 0)
			part = v;
		else if (strcmp(a, "--from") == 0) {
			char *end;
			from = strtoll(v, &end, 10);
			if (*v == '\0' || *end != '\0' || from < 1)
				usage("--from takes a sequence, 1 or more");
		} else
			usage("unknown option");
	}
	if (url == NULL)
		url = sn_config_str("SN_DB_URL", "");
	if (url[0] == '\0' || schema == NULL || nwords == 0)
		usage(NULL);
	if (strcmp(words[0], "streams") == 0 && nwords == 1)
		return cmd_streams(connect_schema(url, schema));
	if (strcmp(words[0], "resync") == 0 && nwords == 2 && from >= 1)
		return cmd_resync(
		    connect_schema(url, schema), words[1], from, epoch, part);
	usage(NULL);
}
