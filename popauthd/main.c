/*
 * main.c - popauthd: options and start-up order, nothing else.
 *
 *   popauthd [-f] [-c FILE] [-o name=value]... [--replay FILE|-] [--test FILE|-]
 *            [--check-config] [--version]
 *
 * Order: config and rules (refused with file:line, exit 78), log, pid file lock
 * (a second instance exits 75), FIFO, state and maps, then daemonize and loop.
 * Everything that can fail at start fails before the fork, on the admin's
 * terminal.
 */
#include "addr.h"
#include "clock.h"
#include "conf.h"
#include "ctl.h"
#include "ctl_cmd.h"
#include "ctl_status.h"
#include "engine.h"
#include "event.h"
#include "input.h"
#include "linetest.h"
#include "log.h"
#include "logline.h"
#include "metrics.h"
#include "priv.h"
#include "prochelper.h"
#include "replay.h"
#include "rule.h"
#include "util.h"
#include "whitelist.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef POPAUTHD_VERSION
#define POPAUTHD_VERSION "0.1.0"
#endif

#define EX_USAGE     64
#define EX_SOFTWARE  70
#define EX_CANTCREAT 73
#define EX_TEMPFAIL  75
#define EX_NOPERM    77
#define EX_CONFIG    78

static const char *conf_file;
static char **overrides;
static size_t noverrides;
static bool log_to_stderr;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: popauthd [-f] [-c FILE] [-o name=value]... [--replay "
	    "FILE|-]\n"
	    "                [--test FILE|-] [--check-config] [--version]\n");
	exit(EX_USAGE);
}

/* load - config then rules; NULL conf on failure (already reported) */
static struct conf *
load(struct ruleset **rs)
{
	struct conf *c = conf_load(conf_file, overrides, noverrides);

	if (c == NULL)
		return NULL;
	if ((*rs = rule_load(c->rules_directory)) == NULL) {
		conf_free(c);
		return NULL;
	}
	return c;
}

static int
reload(void)
{
	struct ruleset *rs;
	struct conf *c = load(&rs);

	if (c == NULL)
		return -1;
	if (engine_reload(c, rs) < 0) {
		rule_free(rs);
		conf_free(c);
		return -1;
	}
	log_open(
	    engine_conf()->log_file, engine_conf()->log_syslog, log_to_stderr);
	log_set_debug(engine_conf()->log_debug);
	log_info("reloaded %s and %zu rules", c->config_file, rule_count(rs));
	return 0;
}

static int
open_input(const char *name)
{
	int fd;

	if (strcmp(name, "-") == 0)
		return STDIN_FILENO;
	if ((fd = open(name, O_RDONLY | O_CLOEXEC)) < 0) {
		log_error("%s: %s", name, strerror(errno));
		exit(EX_USAGE);
	}
	return fd;
}

/* --- the daemon's loop: its input and hooks (event.h) --------------- */

#define MAIN_READ_BUDGET                                                       \
	(1024 * 1024) /* bytes per wake-up: timers stay on time */

static struct input *input;
static int input_watched = -1;    /* the descriptor the loop watches */
static long long metrics_ms = -1; /* until the metrics file is due */

static void
daemon_line(void *arg, char *line, size_t len)
{
	UNUSED(arg);
	engine_line(line, len);
}

static void input_readable(void *arg, int fd);

/* input_watch - the loop watches the FIFO's current descriptor */
static void
input_watch(void)
{
	int fd = input_fd(input);

	if (fd == input_watched)
		return;
	if (input_watched >= 0)
		event_del_fd(input_watched);
	input_watched = fd;
	if (fd >= 0 && event_add_fd(fd, false, input_readable, NULL) < 0)
		log_error("%d: cannot watch the log input", fd);
}

/* input_readable - event_fd_fn: a bounded read, lines to the engine */
static void
input_readable(void *arg, int fd)
{
	UNUSED(arg);
	UNUSED(fd);
	if (input_read(input, MAIN_READ_BUDGET, daemon_line, NULL) < 0)
		input_check(input);
	input_watch();
}

static void
daemon_turn(void *arg)
{
	UNUSED(arg);
	/* the last read stopped at its budget (a journal backlog) */
	if (input != NULL && input_pending(input))
		input_readable(NULL, -1);
	engine_run_timers();
	engine_tick();
	metrics_ms = metrics_poll();
}

/* daemon_timeout - the engine's next deadline, or the metrics file's */
static long long
daemon_timeout(void *arg)
{
	long long t = engine_timeout_ms();

	UNUSED(arg);
	if (input != NULL && input_pending(input))
		return 0;
	if (metrics_ms >= 0 && (t < 0 || metrics_ms < t))
		t = metrics_ms;
	return t;
}

static void
daemon_periodic(void *arg)
{
	UNUSED(arg);
	input_check(input);
	input_watch();
	engine_periodic();
}

static int
daemon_reload(void *arg)
{
	UNUSED(arg);
	return reload();
}

static void
daemon_status(void *arg)
{
	UNUSED(arg);
	ctl_log_status(); /* the counters of popauthctl status */
}

static void
daemon_idle(void *arg)
{
	UNUSED(arg);
	engine_idle();
}

static const struct event_hooks daemon_hooks = {daemon_turn, daemon_timeout,
    daemon_periodic, daemon_reload, daemon_status, daemon_idle, NULL};

/*
 * open_log - what --replay and --test read: a file, "-" (stdin), or a
 * directory of journal files (journalctl -D, systemd-journal-remote)
 */
static struct input *
open_log(const char *name)
{
	struct stat st;
	struct input *in;

	if (strcmp(name, "-") != 0 && stat(name, &st) == 0 &&
	    S_ISDIR(st.st_mode)) {
		if ((in = input_open_journal_all(name)) == NULL)
			exit(EX_USAGE);
		return in;
	}
	return input_open_fd(open_input(name), name);
}

static void
test_line(void *arg, char *line, size_t len)
{
	char buf[8192];

	linetest_line(arg, line, len, buf, sizeof(buf));
	printf("%s\n", buf);
}

/* run_test - --test: print what each line would do; no state is touched */
static int
run_test(const struct conf *c, struct ruleset *rs, const char *name)
{
	struct linetest *t = linetest_new(rs, c->login_pair_window);
	struct input *in = open_log(name);
	int rc;

	while ((rc = input_read(in, 1 << 20, test_line, t)) > 0)
		;
	input_finish(in, test_line, t);
	input_close(in);
	linetest_free(t);
	return rc < 0 ? 1 : 0;
}

/* run_replay - --replay: the log's own clock; maps as at the last line */
static int
run_replay(struct conf *c, struct ruleset *rs, const char *name)
{
	struct input *in;
	int rc;

	log_set_batch(true);
	if (engine_start(c, rs, true) < 0)
		return EX_SOFTWARE;
	in = open_log(name);
	rc = replay_run(in);
	input_close(in);
	engine_stop();
	return rc < 0 ? 1 : 0;
}

/*
 * pid_lock - lock the pid file (its directory made when missing); -1 if
 * another popauthd holds it, -2 with no pid_file, -3 when it cannot be made
 */
static int
pid_lock(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd;

	if (path == NULL || *path == '\0')
		return -2;
	/* like map_directory: a missing directory is made, not fatal */
	if (mkdir_parent(path) < 0 ||
	    (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		log_error("%s: %s", path, strerror(errno));
		return -3;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		log_error("%s: popauthd is already running (pid %s)", path,
		    buf[0] != '\0' ? buf : "?");
		close(fd);
		return -1;
	}
	return fd;
}

static void
pid_write(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (fd < 0)
		return;
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		log_warn("cannot write pid file: %s", strerror(errno));
}

static int ready_fd = -1; /* daemon mode: the parent waits on it */

static void
daemonize(void)
{
	int p[2], fd;
	unsigned char st = EX_SOFTWARE;
	pid_t pid;

	/*
	 * Fork before start-up, so every start-up line carries the daemon's
	 * own PID; the parent waits for the child's verdict and exits with
	 * it, so a failed start still fails the command that started it.
	 */
	if (pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		log_error("fork: %s", strerror(errno));
		exit(EX_SOFTWARE);
	}
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &st, 1) != 1)
			st =
			    EX_SOFTWARE; /* the child died before its verdict */
		_exit(st);
	}
	close(p[0]);
	ready_fd = p[1];
	setsid();
	if (chdir("/") < 0)
		log_warn("chdir /: %s", strerror(errno));
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

/* daemon_ready - tell the waiting parent how start-up went (once) */
static void
daemon_ready(int rc)
{
	unsigned char st = (unsigned char)rc;
	int fd;

	if (ready_fd < 0)
		return;
	if (write(ready_fd, &st, 1) < 0) {
		/* the parent is gone: nobody to tell */
	}
	close(ready_fd);
	ready_fd = -1;
	/* start-up is over: errors go to the log from here */
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"replay", required_argument, NULL, 'R'},
	    {"test", required_argument, NULL, 'T'},
	    {"check-config", no_argument, NULL, 'C'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *replay = NULL, *test = NULL;
	bool foreground = false, check = false;
	struct ruleset *rs;
	struct conf *c;
	struct input *f;
	int ch, pidfd, rc;
	char *pidpath = NULL;

	{
		uint64_t key[2] = {0, 0};

		/* a failure leaves key 0: slower under a crafted flood, not wrong */
		if (getrandom(key, sizeof(key), GRND_NONBLOCK) != sizeof(key))
			key[0] = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL ^
			    (uint64_t)time(NULL);
		addr_hash_key(key[0], key[1]);
	}
	{
		/* tests only: play a host whose clock is wrong (clock.h) */
		const char *skew = getenv("POPAUTHD_TEST_CLOCK_OFFSET");
		long long secs;

		if (skew != NULL && parse_long(skew, -86400, 86400, &secs) == 0)
			clock_set_offset((time_t)secs);
	}
	umask(022);
	conf_file = conf_default_file();
	overrides = xcalloc((size_t)argc, sizeof(*overrides));
	while ((ch = getopt_long(argc, argv, "fc:o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			foreground = true;
			break;
		case 'c':
			conf_file = optarg;
			break;
		case 'o':
			overrides[noverrides++] = optarg;
			break;
		case 'R':
			replay = optarg;
			break;
		case 'T':
			test = optarg;
			break;
		case 'C':
			check = true;
			break;
		case 'V':
			printf("popauthd %s\n", POPAUTHD_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind != argc || (replay != NULL && test != NULL))
		usage();
	if ((c = load(&rs)) == NULL)
		return EX_CONFIG;
	if (check) {
		struct whitelist *wl = whitelist_load(c->whitelist_file);

		if (wl == NULL)
			return EX_CONFIG;
		whitelist_free(wl);
		printf("%s: ok, %zu rules from %s\n", c->config_file,
		    rule_count(rs), c->rules_directory);
		rule_free(rs);
		conf_free(c);
		return 0;
	}
	if (test != NULL) {
		rc = run_test(c, rs, test);
		rule_free(rs);
		conf_free(c);
		return rc;
	}
	/* a replay with a log_file keeps the terminal for warnings */
	log_to_stderr = foreground || (replay != NULL && *c->log_file == '\0');
	if (log_open(c->log_file, c->log_syslog, log_to_stderr) < 0) {
		log_error("%s: cannot open log file: %s", c->log_file,
		    strerror(errno));
		return EX_CONFIG;
	}
	log_set_debug(c->log_debug);
	/* a replay with a log_file keeps the terminal for warnings */
	if (replay != NULL) {
		rc = run_replay(c, rs, replay);
		log_close();
		free(overrides);
		return rc;
	}
	if (!foreground)
		daemonize();
	/* 75 means "another popauthd runs", and only that */
	if ((pidfd = pid_lock(c->pid_file)) == -1 || pidfd == -3) {
		rc = pidfd == -1 ? EX_TEMPFAIL : EX_CANTCREAT;
		goto fail;
	}
	pidpath = xstrdup(c->pid_file);
	if (priv_check_dirs(c) < 0) {
		rc = EX_NOPERM;
		goto fail;
	}
	log_info("starting popauthd %s", POPAUTHD_VERSION);
	if ((f = input_open(c)) == NULL) {
		rc = EX_CONFIG;
		goto fail;
	}
	event_signals();
	if (engine_start(c, rs, false) < 0) {
		rc = EX_SOFTWARE; /* the engine owns c and rs from here */
		goto stop;
	}
	if (engine_set_input(f) < 0) {
		rc = EX_SOFTWARE;
		goto stop;
	}
	ctl_cmd_init(reload);
	if (ctl_open(engine_conf(), ctl_cmd_run) < 0) {
		rc = EX_CONFIG;
		goto stop;
	}
	/* the sendmail rules need /proc of root processes: keep a helper */
	if (priv_drop(engine_conf(),
	        rule_has_kind(engine_rules(), EV_SM_USER_UNKNOWN)) < 0) {
		rc = EX_NOPERM;
		goto stop;
	}
	pid_write(pidfd);
	daemon_ready(0);
	input = f;
	input_watch();
	metrics_init(input);
	rc = event_loop(&daemon_hooks);
	engine_flush_all();
	metrics_write(); /* the last counts, after the final commit */
stop:
	daemon_ready(rc); /* a failed start: the waiting parent exits with rc */
	prochelper_stop();
	ctl_close();
	engine_stop();
	input_close(f);
	if (pidfd >= 0) {
		unlink(pidpath);
		close(pidfd);
	}
	free(pidpath);
	log_close();
	free(overrides);
	return rc;
fail:
	daemon_ready(rc);
	if (pidfd >= 0)
		close(pidfd);
	free(pidpath);
	rule_free(rs);
	conf_free(c);
	log_close();
	free(overrides);
	return rc;
}
