// SPDX-License-Identifier: GPL-2.0-or-later
/* sexecd, the node collector: one epoll loop over the BPF ring buffer, the
 * plugin socket, a timer and signals; records go to the store thread. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "sexec/conf.h"
#include "sexec/log.h"
#include "sexec/proto.h"
#include "sexec/tool.h"
#include "probe.h"
#include "server.h"
#include "store.h"
#include "topology.h"
#include "jobinfo.h"
#include "tracker.h"

#define SEXECD_DRAIN_MS 100
#define SEXECD_TICKS_PER_S (1000 / SEXECD_DRAIN_MS)

struct sexecd {
	struct sexec_conf conf;
	struct probe *probe;
	struct store *store;
	struct tracker *tracker;
	struct server *server;
	struct tool_rules *rules;
	struct jobinfo *jobinfo;
	int epfd, sigfd, timerfd, lockfd;
	uint64_t started_us;
	uint64_t ticks;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: sexecd [OPTION]...\n"
		"Node collector of sexec: follows the processes of Slurm job steps with eBPF\n"
		"and writes one record per process to PostgreSQL.\n"
		"\n"
		"  -c, --config FILE   configuration file (default %s)\n"
		"  -f, --foreground    stay in the foreground and log to stderr\n"
		"  -s, --socket PATH   socket the SPANK plugin registers on (default %s)\n"
		"      --db CONNINFO   libpq connection string to write with (conf key 'db')\n"
		"  -o KEY=VALUE        set any configuration key, after the file is read\n"
		"      --stats         ask the running collector for its counters and exit\n"
		"      --check-config  read the configuration, report errors, and exit\n"
		"      --detach        remove the pinned BPF programs and maps of a stopped\n"
		"                      collector (by default they outlive it, so a restart\n"
		"                      loses no process), and exit\n"
		"  -d, --debug         log debug messages\n"
		"  -h, --help          show this help and exit\n"
		"  -V, --version       show the version and exit\n"
		"\n"
		"Exit status: 0 on a clean stop (SIGTERM/SIGINT), 1 when start-up fails,\n"
		"2 for a usage or configuration error, 3 when --stats cannot reach the collector.\n",
		SEXEC_CONF_DEFAULT, SEXEC_SOCKET_DEFAULT);
}

/* Per-program run time is only counted while kernel.bpf_stats_enabled is 1. */
static int sexecd_bpf_stats_enabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "re");
	int v = 0;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static void sexecd_stats_text(void *arg, char *buf, size_t len)
{
	struct sexecd *d = arg;
	struct probe_stats ps;
	struct store_stats ss;
	struct tracker_stats ts;
	struct rusage ru;
	struct timespec now;
	double up_s, cpu_s;
	size_t off;
	int i;

	probe_get_stats(d->probe, &ps);
	store_get_stats(d->store, &ss);
	tracker_get_stats(d->tracker, &ts);
	getrusage(RUSAGE_SELF, &ru);
	clock_gettime(CLOCK_REALTIME, &now);
	up_s = ((double)now.tv_sec * 1e6 + (double)now.tv_nsec / 1e3 - (double)d->started_us) / 1e6;
	cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	off = (size_t)snprintf(buf, len,
			       "uptime_s %.1f\nmode %s\nevents %" PRIu64 "\nevents_per_s %.1f\n"
			       "lost_ringbuf %" PRIu64 "\nlost_map_full %" PRIu64 "\n"
			       "lost_unattributed %" PRIu64 "\nbpf_stats_enabled %d\n"
			       "tracked_now %u\nsteps_live %" PRIu64 "\nregistrations %" PRIu64
			       "\nrecords %" PRIu64 "\nrows_folded %" PRIu64 "\norphans %" PRIu64 "\n"
			       "db_connected %d\ndb_rows_written %" PRIu64 "\ndb_queued %" PRIu64
			       "\ndb_dropped %" PRIu64 "\ndb_failures %" PRIu64 "\njournal_errors %" PRIu64 "\n"
			       "self_cpu_s %.3f\nself_cpu_pct %.3f\nself_maxrss_kb %ld\n",
			       up_s, probe_mode(d->probe), ps.events, up_s > 0 ? ps.events / up_s : 0,
			       ps.rb_full, ps.map_full, ps.lost_unattributed, sexecd_bpf_stats_enabled(),
			       ps.tracked_now, ts.steps_live,
			       ts.registrations, ts.records, ts.rows_folded, ts.orphans, ss.connected,
			       ss.rows_written, ss.queued, ss.dropped, ss.db_failures, ss.journal_errors, cpu_s,
			       up_s > 0 ? 100.0 * cpu_s / up_s : 0, ru.ru_maxrss);
	for (i = 0; i < ps.nprogs && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off,
					"prog %s run_cnt %" PRIu64 " ns_per_run %.1f\n",
					ps.progs[i].name, ps.progs[i].run_cnt,
					ps.progs[i].run_cnt ? (double)ps.progs[i].run_time_ns /
								      (double)ps.progs[i].run_cnt
							    : 0.0);
}

/* Ask a running collector for its counters: 0 and the text in *m, or -errno. */
static int sexecd_ask_stats(const struct sexec_conf *c, int timeout_ms, struct sexec_msg *m)
{
	uint8_t req[64], reply[SEXEC_MSG_MAX];
	struct sexec_enc e;
	const char *why;
	int n;

	proto_enc_init(&e, req, sizeof(req), SEXEC_MSG_STATS, 1);
	n = proto_enc_finish(&e);
	n = client_request(c->socket_path, req, (size_t)n, reply, sizeof(reply), timeout_ms);
	if (n < 0)
		return n;
	if (proto_decode(reply, (size_t)n, m, &why) || m->type != SEXEC_MSG_ACK)
		return -EPROTO;
	return 0;
}

static int sexecd_stats_client(const struct sexec_conf *c)
{
	struct sexec_msg *m = malloc(sizeof(*m));
	int err, rc = 3;

	if (!m)
		return 1;
	err = sexecd_ask_stats(c, 5000, m);
	if (err == -EPROTO) {
		fprintf(stderr, "sexecd: bad reply from the collector\n");
	} else if (err) {
		fprintf(stderr, "sexecd: cannot reach the collector at %s: %s\n", c->socket_path,
			strerror(-err));
	} else {
		fputs(m->text, stdout);
		rc = 0;
	}
	free(m);
	return rc;
}

static int sexecd_setup(struct sexecd *d)
{
	struct epoll_event ev = { .events = EPOLLIN };
	/* The ring buffer wakes us only when it fills up; this timer drains it
	 * otherwise, so records wait at most this long. */
	struct itimerspec its = { { 0, SEXECD_DRAIN_MS * 1000000L }, { 0, SEXECD_DRAIN_MS * 1000000L } };
	struct node_rec node;
	sigset_t mask;
	int err;

	/* Block before any thread starts, so only the signalfd sees them. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0)
		return -errno;
	d->store = create_store(&d->conf);
	if (!d->store)
		return -ENOMEM;
	d->tracker = create_tracker(d->store, &d->conf);
	if (!d->tracker)
		return -ENOMEM;
	tracker_set_tool_rules(d->tracker, d->rules);
	d->jobinfo = create_jobinfo(d->store, d->conf.squeue);
	if (!d->jobinfo)
		return -ENOMEM;
	tracker_set_jobinfo(d->tracker, d->jobinfo);
	err = create_probe(&d->probe, &d->conf, tracker_on_event, d->tracker);
	if (err)
		return err;
	tracker_set_probe(d->tracker, d->probe);
	tracker_restore(d->tracker, probe_restored(d->probe));
	ev.data.fd = probe_fd(d->probe);
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev))
		return -errno;
	err = create_server(&d->server, d->conf.socket_path, d->epfd, d->tracker,
			    sexecd_stats_text, d);
	if (err) {
		log_err("cannot listen on %s: %s", d->conf.socket_path, strerror(-err));
		return err;
	}
	d->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->sigfd < 0 || d->timerfd < 0 || timerfd_settime(d->timerfd, 0, &its, NULL))
		return -errno;
	ev.data.fd = d->sigfd;
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->sigfd, &ev))
		return -errno;
	ev.data.fd = d->timerfd;
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->timerfd, &ev))
		return -errno;
	/* Last: hwloc takes a while, and tracking should resume first. */
	if (topology_describe(&node, d->conf.cluster, d->conf.node) == 0)
		store_put_node(d->store, &node);
	return 0;
}

static int sexecd_run(struct sexecd *d)
{
	struct epoll_event evs[64];

	log_info("collecting for cluster %s node %s on %s", d->conf.cluster, d->conf.node,
		 d->conf.socket_path);
	for (;;) {
		int n = epoll_wait(d->epfd, evs, 64, -1), i;

		if (n < 0 && errno != EINTR)
			return -errno;
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == probe_fd(d->probe)) {
				probe_drain(d->probe);
			} else if (fd == d->sigfd) {
				struct signalfd_siginfo si;

				if (read(d->sigfd, &si, sizeof(si)) == sizeof(si) &&
				    si.ssi_signo != SIGHUP) {
					log_info("stopping on signal %u", si.ssi_signo);
					probe_drain(d->probe);
					return 0;
				}
			} else if (fd == d->timerfd) {
				uint64_t ticks;

				if (read(d->timerfd, &ticks, sizeof(ticks)) < 0)
					continue;
				/* Events of a step's last processes may still be in
				 * the ring: drain before judging steps finished. */
				probe_drain(d->probe);
				if (++d->ticks % SEXECD_TICKS_PER_S == 0)
					tracker_tick(d->tracker);
			} else {
				/* Registration must see earlier exits first. */
				probe_drain(d->probe);
				server_handle(d->server, fd, evs[i].events);
			}
		}
	}
}

/* One collector per node: a second one (two job steps starting it at once)
 * goes away quietly. The lock dies with its holder. */
static int sexecd_lock(struct sexecd *d)
{
	char path[160], pid[16];
	int n;

	mkdir(d->conf.state_dir, 0700);
	snprintf(path, sizeof(path), "%s/sexecd.lock", d->conf.state_dir);
	d->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lockfd < 0) {
		log_err("cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	if (flock(d->lockfd, LOCK_EX | LOCK_NB)) {
		int err = -errno;

		if (err == -EWOULDBLOCK)
			log_info("another collector holds %s; exiting", path);
		else
			log_err("cannot lock %s: %s", path, strerror(-err));
		close(d->lockfd);
		d->lockfd = -1;
		return err;
	}
	/* Also a pid file: who holds the lock. */
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(d->lockfd, 0) || pwrite(d->lockfd, pid, (size_t)n, 0) != n)
		log_warn("cannot write the pid to %s: %s", path, strerror(errno));
	return 0;
}

static void sexecd_cleanup(struct sexecd *d)
{
	destroy_server(d->server);
	destroy_probe(d->probe);
	destroy_tracker(d->tracker);
	destroy_jobinfo(d->jobinfo);
	destroy_store(d->store);
	tool_rules_free(d->rules);
	if (d->epfd > 0)
		close(d->epfd);
}

/* Cluster name from slurm.conf when not configured. */
static void sexecd_default_cluster(struct sexec_conf *c)
{
	const char *path = getenv("SLURM_CONF");
	char line[512];
	FILE *f;

	if (c->cluster[0])
		return;
	snprintf(c->cluster, sizeof(c->cluster), "default");
	f = fopen(path ? path : "/etc/slurm/slurm.conf", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char name[256];

		if (sscanf(line, " ClusterName = %255[^ \t\n#]", name) == 1 ||
		    sscanf(line, " ClusterName=%255[^ \t\n#]", name) == 1) {
			char *p;

			/* Slurm maps the name to lower case, so must we. */
			for (p = name; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			snprintf(c->cluster, sizeof(c->cluster), "%s", name);
			break;
		}
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "socket", required_argument, NULL, 's' },
		{ "db", required_argument, NULL, 'D' },
		{ "stats", no_argument, NULL, 'S' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "detach", no_argument, NULL, 'X' },
		{ "debug", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct sexecd d = { .epfd = -1, .sigfd = -1, .timerfd = -1 };
	const char *config = NULL, *overrides[64];
	int foreground = 0, stats = 0, check = 0, detach = 0, debug = 0, nover = 0, opt, err, i;
	char msg[512];
	struct timespec now;

	while ((opt = getopt_long(argc, argv, "c:fs:o:dhV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'f': foreground = 1; break;
		case 's':
		case 'D':
		case 'o':
			if (nover >= 62) {
				fprintf(stderr, "sexecd: too many overrides\n");
				return 2;
			}
			if (opt == 's') {
				overrides[nover++] = "socket";
				overrides[nover++] = optarg;
			} else if (opt == 'D') {
				overrides[nover++] = "db";
				overrides[nover++] = optarg;
			} else {
				char *eq = strchr(optarg, '=');

				if (!eq) {
					fprintf(stderr, "sexecd: -o wants KEY=VALUE, not '%s'\n", optarg);
					return 2;
				}
				*eq = '\0';
				overrides[nover++] = optarg;
				overrides[nover++] = eq + 1;
			}
			break;
		case 'S': stats = 1; break;
		case 'C': check = 1; break;
		case 'X': detach = 1; break;
		case 'd': debug = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("sexecd %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "sexecd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	err = conf_load(&d.conf, config, config != NULL, msg, sizeof(msg));
	for (i = 0; !err && i < nover; i += 2)
		err = conf_set(&d.conf, overrides[i], overrides[i + 1], msg, sizeof(msg));
	if (err) {
		fprintf(stderr, "sexecd: configuration error: %s\n", msg);
		return 2;
	}
	sexecd_default_cluster(&d.conf);
	if (d.conf.tools_rules[0] &&
	    tool_rules_load(&d.rules, d.conf.tools_rules, msg, sizeof(msg))) {
		fprintf(stderr, "sexecd: tool naming rules: %s\n", msg);
		return 2;
	}
	if (check) {
		printf("configuration ok: cluster %s node %s socket %s\n", d.conf.cluster,
		       d.conf.node, d.conf.socket_path);
		return 0;
	}
	if (stats)
		return sexecd_stats_client(&d.conf);
	if (detach) {
		struct sexec_msg *m = malloc(sizeof(*m));
		int n;

		if (!m)
			return 1;
		n = sexecd_ask_stats(&d.conf, 1000, m);
		free(m);
		if (n == 0) {
			fprintf(stderr, "sexecd: a collector is running on %s; stop it first\n",
				d.conf.socket_path);
			return 1;
		}
		n = probe_unpin_all(d.conf.bpf_dir);
		if (n < 0) {
			fprintf(stderr, "sexecd: %s: %s\n", d.conf.bpf_dir, strerror(-n));
			return 1;
		}
		printf("removed %d pins from %s\n", n, d.conf.bpf_dir);
		return 0;
	}
	if (!d.conf.db[0]) {
		fprintf(stderr, "sexecd: no database configured: set 'db' in the configuration "
				"or pass --db\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "sexecd: must run as root (it loads BPF programs)\n");
		return 1;
	}
	log_open("sexecd", !foreground, debug ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	if (!foreground && daemon(0, 0)) {
		fprintf(stderr, "sexecd: cannot daemonize: %s\n", strerror(errno));
		return 1;
	}
	err = sexecd_lock(&d);
	if (err)
		return err == -EWOULDBLOCK ? 4 : 1;
	clock_gettime(CLOCK_REALTIME, &now);
	d.started_us = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
	err = sexecd_setup(&d);
	if (err) {
		log_err("start-up failed: %s", strerror(-err));
		sexecd_cleanup(&d);
		return 1;
	}
	err = sexecd_run(&d);
	sexecd_cleanup(&d);
	return err ? 1 : 0;
}
