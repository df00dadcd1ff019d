/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Inside the CLI's database layer: the connection and the helpers that run a query and read
 * its columns. Only the db*.c files include this; the rest of the CLI sees db.h. */
#ifndef SEXEC_CLI_DBQ_H
#define SEXEC_CLI_DBQ_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct db {
	PGconn *conn;
};

/* Timestamps as JSON wants them: UTC, microseconds, 'Z'. */
#define DB_ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* Run a query that returns rows. On error, classify it by SQLSTATE (the codes of db.h), put a
 * one-line reason in err and clear the result. */
int db_query(struct db *d, const char *sql, int nparams, const char *const *params,
	     PGresult **out, char *err, size_t errlen);

/* A column as a new string, NULL for SQL NULL; *oom is set when strdup fails. */
char *db_str(const PGresult *res, int row, int col, int *oom);
/* An integer column, dflt for SQL NULL. */
int64_t db_int(const PGresult *res, int row, int col, int64_t dflt);
int db_bool(const PGresult *res, int row, int col);
/* A numeric column, NaN for SQL NULL. */
double db_num(const PGresult *res, int row, int col);

#endif
