/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The sexec CLI's only door to PostgreSQL: it owns the connection, runs parameterised
 * queries on the sexec schema and hands back plain structs; no PGresult leaves db.c. */
#ifndef SEXEC_CLI_DB_H
#define SEXEC_CLI_DB_H

#include <stddef.h>
#include <stdint.h>

#include "report.h"

struct db;

/* Every function returns 0 or -errno and, on error, a one-line reason in err:
 * -ECONNREFUSED  the server could not be reached or refused the login
 * -EACCES        the server denied access to the tables (SQLSTATE 42501)
 * -ENOENT        the job is not in the database (or row-level security hides it)
 * -EIO           any other database error (the schema is missing, the connection broke)
 * -ENOMEM        out of memory */

/* Connect with conninfo (a libpq connection string or URI), application_name "sexec". With
 * drop_user, its user and password are ignored: the caller connects as itself. -EINVAL when
 * conninfo does not parse. */
int db_open(struct db **out, const char *conninfo, int drop_user, char *err, size_t errlen);
/* Connect as the configuration says: override (--db) if given, else db_read, else the
 * collector's db without its user. */
struct sexec_conf;
int db_open_conf(struct db **out, const struct sexec_conf *conf, const char *override, char *err,
		 size_t errlen);
void db_close(struct db *d);

/* The job with this id; with rows on several clusters the one named prefer_cluster wins,
 * else the most recently seen, and *nclusters tells how many there were. */
int db_find_job(struct db *d, uint32_t job_id, const char *prefer_cluster, struct db_job *job,
		size_t *nclusters, char *err, size_t errlen);

/* The own job id of task task_id of array job array_job_id, and its cluster. */
int db_find_array_task(struct db *d, uint32_t array_job_id, uint32_t task_id,
		       const char *prefer_cluster, uint32_t *job_id, char *err, size_t errlen);

/* Tasks of array job array_job_id in the database (0 on any error). */
long db_count_array_tasks(struct db *d, const char *cluster, uint32_t array_job_id);

/* The node's collector liveness (epoch s; NaN when not recorded): when the running or last
 * collector started, when it was last heard of, when it stopped cleanly. -ENOENT: no
 * collector ever reported from the node. */
int db_node_seen(struct db *d, const char *cluster, const char *node, double *started,
		 double *last_seen, double *stopped, char *err, size_t errlen);

/* Step rows per node, with the processes on each summed up, for one job. */
int db_load_steps(struct db *d, const char *cluster, uint32_t job_id, struct db_step_node **out,
		  size_t *n, char *err, size_t errlen);
void db_steps_free(struct db_step_node *s, size_t n);

/* The job's processes (only step's when step is not NULL), by start time, then pid; with
 * limit >= 0 only the limit longest ones. *total: how many there are in all. */
int db_load_processes(struct db *d, const char *cluster, uint32_t job_id, const char *step,
		      long limit, struct rep_proc **out, size_t *n, size_t *total, char *err,
		      size_t errlen);

/* A job's process tree, compact (no argv): enough to draw it collapsed, row by row. */
int db_load_ptree(struct db *d, const char *cluster, uint32_t job_id, const char *step,
		  struct rep_ptree *out, char *err, size_t errlen);

/* The same, row by row: cb gets each process in turn (valid during the call only); its
 * non-zero return stops the stream and is returned. Memory stays flat however many rows. */
int db_stream_processes(struct db *d, const char *cluster, uint32_t job_id, const char *step,
			int (*cb)(const struct rep_proc *p, void *arg), void *arg, char *err,
			size_t errlen);

/* Busy time per CPU of each step run on each node (the allocation view). */
int db_load_cpus(struct db *d, const char *cluster, uint32_t job_id, struct rep_cpu **out,
		 size_t *n, char *err, size_t errlen);
/* Per-tool totals of the jobs (job_ids: an array literal such as "{123}" or "{123,124}"), by
 * CPU time. */
int db_load_tools(struct db *d, const char *cluster, const char *job_ids, struct rep_tool **out,
		  size_t *n, char *err, size_t errlen);
/* The job's timeline samples, by step, node, restart and time. */
int db_load_samples(struct db *d, const char *cluster, uint32_t job_id, struct rep_sample **out,
		    size_t *n, char *err, size_t errlen);
/* The jobs' cost (job_ids as for db_load_tools); cost->known = 0 when they have none. */
int db_load_cost(struct db *d, const char *cluster, const char *job_ids, struct rep_cost *cost,
		 char *err, size_t errlen);

#endif
