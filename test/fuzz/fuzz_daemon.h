/*
 * fuzz_daemon.h - for fuzz_engine.c and fuzz_ctl.c: start the engine once
 * per process, as popauthd --replay does (main.c run_replay), on a fresh
 * state and map directory under $FUZZ_STATE (default /tmp), with the rules
 * in $FUZZ_RULES (default etc/rules).
 *
 * Replay mode keeps the engine off the network and out of /proc: no DNS,
 * no checker or sendmail kills, no fsync; the firewall is "none" and the
 * alert mail server empty.  The tables are capped low (max_tracked_ips 100)
 * and fuzz_daemon_reset() empties them between inputs, so memory stays
 * bounded and an input's outcome depends little on the inputs before it.
 * The directory is removed at exit; test/fuzz/run removes $FUZZ_STATE too,
 * for a run that ended in a crash.
 */
#ifndef POPAUTHD_FUZZ_DAEMON_H
#define POPAUTHD_FUZZ_DAEMON_H

#include "blacklist.h"
#include "conf.h"
#include "engine.h"
#include "fish.h"
#include "grant.h"
#include "log.h"
#include "rule.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char fuzz_dir[512];

static void
fuzz_daemon_stop(void)
{
	char cmd[600];

	engine_stop();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz: cannot remove %s\n", fuzz_dir);
}

/* fuzz_daemon_start - the engine, started once; aborts when it cannot */
static void
fuzz_daemon_start(void)
{
	static bool started;
	const char *base = getenv("FUZZ_STATE"), *rules = getenv("FUZZ_RULES");
	char o[8][600];
	char *ovr[8];
	struct conf *c;
	struct ruleset *rs;
	size_t i;

	if (started)
		return;
	started = true;
	log_open(NULL, false, false);
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/popauthd-fuzz.XXXXXX",
	    base != NULL ? base : "/tmp");
	if (mkdtemp(fuzz_dir) == NULL) {
		perror(fuzz_dir);
		abort();
	}
	snprintf(o[0], sizeof(o[0]), "data_directory=%s/data", fuzz_dir);
	snprintf(o[1], sizeof(o[1]), "map_directory=%s", fuzz_dir);
	snprintf(o[2], sizeof(o[2]), "rules_directory=%s",
	    rules != NULL ? rules : "etc/rules");
	snprintf(o[3], sizeof(o[3]), "whitelist_file=");
	snprintf(o[4], sizeof(o[4]), "control_socket=");
	snprintf(o[5], sizeof(o[5]), "alert_smtp_server=");
	snprintf(o[6], sizeof(o[6]), "firewall_backend=none");
	snprintf(o[7], sizeof(o[7]), "max_tracked_ips=100");
	for (i = 0; i < 8; i++)
		ovr[i] = o[i];
	if ((c = conf_load(NULL, ovr, 8)) == NULL ||
	    (rs = rule_load(c->rules_directory)) == NULL)
		abort();
	if (engine_start(c, rs, true) < 0)
		abort();
	atexit(fuzz_daemon_stop);
}

/* fuzz_daemon_reset - empty the tables ("flush all") and commit */
static void
fuzz_daemon_reset(void)
{
	bl_flush();
	fish_flush();
	grant_flush();
	engine_tick();
}

#endif
