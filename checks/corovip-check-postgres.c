/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * corovip-check-postgres: is the local PostgreSQL the primary, or a healthy
 * standby? A health check program (issue 16), run by an exec check as
 * cluster.script_user: with script_user postgres it logs in by peer
 * authentication over the local socket, with any other user by a
 * monitoring role, a member of pg_monitor (pg_hba, a passfile named in
 * CONNINFO, ~/.pgpass or PGPASSFILE). corovipd does not
 * promote anything: the database's own tooling does, and this tells
 * corovipd where the primary is now.
 *
 *   corovip-check-postgres [--role primary|standby|any] [CONNINFO]
 *
 *   primary  passes when the server accepts connections and is not in
 *            recovery (pg_is_in_recovery() is false): writable;
 *   standby  passes when it is in recovery and its WAL receiver streams
 *            from a primary (pg_stat_wal_receiver): a replica that follows;
 *   any      passes when it answers a query.
 *
 * CONNINFO is libpq's (default: its defaults and PG* variables: the local
 * socket, the current user, database postgres). Exit 0 when it passes, 1
 * when not, 2 on usage errors; one line on stdout says what it saw (the
 * check's last output in corovipctl status). The exec check's timeout
 * bounds a server that does not answer (and connect_timeout, 2 s).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

enum { PASS = 0, FAIL = 1, USAGE = 2 };
enum role { ROLE_PRIMARY, ROLE_STANDBY, ROLE_ANY };

static const char *const role_names[] = { "primary", "standby", "any" };

static int
usage(FILE *f, int code)
{
	fputs("Usage: corovip-check-postgres [--role primary|standby|any] [CONNINFO]\n"
	      "  exit 0: the local PostgreSQL is in that role (default primary), 1: not\n",
	      f);
	return code;
}

static int
parse_role(const char *s, enum role *ret)
{
	for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (strcmp(s, role_names[i]) == 0) {
			*ret = (enum role)i;
			return 0;
		}
	return -1;
}

static PGconn *
connect_to(const char *conninfo)
{
	/* expand_dbname: CONNINFO may be a full connection string or URI */
	const char *keys[] = { "dbname", "connect_timeout", "application_name", NULL };
	const char *values[] = { conninfo && conninfo[0] ? conninfo : "postgres", "2",
				 "corovip-check", NULL };

	return PQconnectdbParams(keys, values, 1);
}

/* One row, one column: its text, or NULL with why said. */
static char *
query_one(PGconn *c, const char *sql, const char **why)
{
	PGresult *r = PQexec(c, sql);
	char *v = NULL;

	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		*why = PQerrorMessage(c);
	else if (PQntuples(r) != 1 || PQnfields(r) != 1)
		*why = "unexpected answer";
	else
		v = strdup(PQgetisnull(r, 0, 0) ? "" : PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

/* The verdict on a connected server. */
static int
judge(PGconn *c, enum role role)
{
	const char *why = NULL;
	char *recovery = query_one(c, "SELECT pg_is_in_recovery()", &why);
	char *receiver = NULL;
	int code = FAIL;

	if (!recovery) {
		printf("query failed: %s", why); /* libpq's message ends in a newline */
		return FAIL;
	}
	if (role == ROLE_ANY) {
		printf("up (%s)\n", strcmp(recovery, "t") == 0 ? "standby" : "primary");
		code = PASS;
	} else if (role == ROLE_PRIMARY) {
		code = strcmp(recovery, "f") == 0 ? PASS : FAIL;
		printf("%s\n", code == PASS ? "primary" : "in recovery: not the primary");
	} else if (strcmp(recovery, "t") != 0) {
		printf("not in recovery: the primary, not a standby\n");
	} else {
		receiver = query_one(c, "SELECT coalesce((SELECT status FROM pg_stat_wal_receiver), "
					"'none')", &why);
		code = receiver && strcmp(receiver, "streaming") == 0 ? PASS : FAIL;
		printf("standby, WAL receiver %s\n", receiver ? receiver : why);
	}
	free(recovery);
	free(receiver);
	return code;
}

int
main(int argc, char **argv)
{
	static const struct option options[] = { { "role", required_argument, NULL, 'r' },
						 { "help", no_argument, NULL, 'h' },
						 {} };
	enum role role = ROLE_PRIMARY;
	PGconn *c;
	int opt, code;

	while ((opt = getopt_long(argc, argv, "r:h", options, NULL)) != -1) {
		if (opt == 'h')
			return usage(stdout, PASS);
		if (opt != 'r' || parse_role(optarg, &role) < 0)
			return usage(stderr, USAGE);
	}
	if (argc - optind > 1)
		return usage(stderr, USAGE);
	c = connect_to(optind < argc ? argv[optind] : NULL);
	if (PQstatus(c) != CONNECTION_OK) {
		printf("cannot connect: %s", PQerrorMessage(c));
		PQfinish(c);
		return FAIL;
	}
	code = judge(c, role);
	PQfinish(c);
	return code;
}
