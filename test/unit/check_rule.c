/*
 * check_rule.c - unit tests for rule.c: the shipped etc/rules against the log
 * corpus, and the load errors of a broken rules directory.
 *
 * Runs from the repository root (make check-unit does).  For every
 * test/corpus/NAME.log the output of rule_format_event (or "-") must equal
 * test/corpus/NAME.expect line for line, exactly what popauthd --test prints;
 * a mismatch names file:line.  Lines are split on '\n' only, so NUL bytes and
 * other junk reach the parser as they would from the FIFO.
 */
#include "test.h"
#include "linetest.h"
#include "log.h"
#include "logline.h"
#include "rule.h"
#include "util.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RULES_DIR  "etc/rules"
#define CORPUS_DIR "test/corpus"

/* read_file - whole file into a malloc'd buffer; *len its size */
static char *
read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(fp != NULL, "%s: cannot open", path);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = xmalloc((size_t)n + 1);
	ck_assert_msg(
	    fread(buf, 1, (size_t)n, fp) == (size_t)n, "%s: short read", path);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/* next_line - cut the line at *pos (without '\n'); false at the end */
static bool
next_line(
    const char *buf, size_t len, size_t *pos, const char **line, size_t *n)
{
	const char *nl;

	if (*pos >= len)
		return false;
	*line = buf + *pos;
	nl = memchr(*line, '\n', len - *pos);
	*n = nl != NULL ? (size_t)(nl - *line) : len - *pos;
	*pos += *n + 1;
	return true;
}

/* check_corpus - one .log against its .expect; returns the mismatches */
static int
check_corpus(struct ruleset *rs, const char *logpath)
{
	char expath[1024], out[65536];
	size_t loglen, exlen, lp = 0, ep = 0, ln, en;
	const char *l, *e;
	char *log, *ex;
	int lineno = 0, bad = 0;
	struct linetest *lt;

	snprintf(expath, sizeof(expath), "%.*s.expect",
	    (int)(strlen(logpath) - 4), logpath);
	log = read_file(logpath, &loglen);
	ex = read_file(expath, &exlen);
	lt = linetest_new(rs, 120); /* login_pair_window's default */
	while (next_line(log, loglen, &lp, &l, &ln)) {
		lineno++;
		if (!next_line(ex, exlen, &ep, &e, &en)) {
			fprintf(stderr, "%s:%d: no expected line\n", expath,
			    lineno);
			bad++;
			break;
		}
		linetest_line(lt, l, ln, out, sizeof(out));
		/* attack twins plant 6.6.6.6: it must never be the client */
		if (strstr(out, " ip=6.6.6.6") != NULL) {
			fprintf(stderr, "%s:%d: injected address won: %.300s\n",
			    logpath, lineno, out);
			bad++;
		}
		if (strlen(out) != en || memcmp(out, e, en) != 0) {
			fprintf(stderr,
			    "%s:%d: got\n  %.300s\nwant\n  %.300s\n", logpath,
			    lineno, out, e);
			bad++;
		}
	}
	if (next_line(ex, exlen, &ep, &e, &en)) {
		fprintf(stderr, "%s:%d: more expected lines than log lines\n",
		    expath, lineno + 1);
		bad++;
	}
	free(log);
	free(ex);
	linetest_free(lt);
	return bad;
}

START_TEST(test_corpus)
{
	struct ruleset *rs = rule_load(RULES_DIR);
	glob_t g;
	size_t i;
	int bad = 0;

	ck_assert_msg(rs != NULL, "%s: rule_load failed", RULES_DIR);
	ck_assert_int_gt(rule_count(rs), 10);
	ck_assert_int_eq(glob(CORPUS_DIR "/*.log", 0, NULL, &g), 0);
	ck_assert_int_gt(g.gl_pathc, 5);
	for (i = 0; i < g.gl_pathc; i++)
		bad += check_corpus(rs, g.gl_pathv[i]);
	globfree(&g);
	rule_free(rs);
	ck_assert_msg(bad == 0, "%d corpus lines differ (see stderr)", bad);
}
END_TEST

/* the hit counters and names follow the rules in load order */
START_TEST(test_hits)
{
	struct ruleset *rs = rule_load(RULES_DIR);
	static const char line[] =
	    "Nov 23 06:11:58 vm dovecot: pop3-login: Login: user=<popuser>, "
	    "method=PLAIN, rip=127.0.0.2, lip=127.0.0.1, mpid=31800, "
	    "session=<HdWyeOtg+5Z/AAAC>";
	struct logline ll;
	struct event ev;
	const char *name = NULL;
	size_t i;
	unsigned long long total = 0;

	ck_assert_ptr_nonnull(rs);
	ck_assert_int_eq(logline_parse(line, sizeof(line) - 1, &ll, NULL), 0);
	ck_assert(rule_match(rs, &ll, &ev));
	ck_assert(rule_match(rs, &ll, &ev));
	ck_assert_int_eq(ev.kind, EV_LOGIN);
	ck_assert(ev.has_ip);
	ck_assert_int_eq(ev.ip.family, 4);
	ck_assert_ptr_eq(ev.line, &ll);
	ck_assert_int_eq((int)ev.f[F_USER].n, 7);
	ck_assert(memcmp(ev.f[F_USER].p, "popuser", 7) == 0);
	for (i = 0; i < rule_count(rs); i++) {
		total += rule_hits(rs, i, &name);
		ck_assert_ptr_nonnull(name);
	}
	ck_assert_int_eq(total, 2);
	ck_assert_int_eq(rule_hits(rs, rule_count(rs), &name), 0);
	ck_assert_ptr_null(name);
	rule_free(rs);
}
END_TEST

START_TEST(test_format_truncates)
{
	struct event ev;
	char buf[16];
	size_t n;

	memset(&ev, 0, sizeof(ev));
	ev.kind = EV_RELAY_DENIED;
	ev.rule = "a-rather-long-rule-name";
	n = rule_format_event(&ev, buf, sizeof(buf));
	ck_assert_int_eq(n, strlen(buf));
	ck_assert_int_eq(n, sizeof(buf) - 1);
	ck_assert_int_eq(rule_format_event(&ev, buf, 0), 0);
}
END_TEST

START_TEST(test_names)
{
	int i;

	for (i = 0; i < EV_NKINDS; i++)
		ck_assert_str_ne(ev_kind_name((enum ev_kind)i), "?");
	for (i = 0; i < F_NFIELDS; i++)
		ck_assert_str_ne(ev_field_name((enum ev_field)i), "?");
	ck_assert_str_eq(ev_kind_name(EV_SM_USER_UNKNOWN), "sm_user_unknown");
	ck_assert_str_eq(ev_field_name(F_RESPONSE), "response");
}
END_TEST

/* load errors: each broken directory must give NULL */
#define GOOD_TAIL "kind login\ntag dovecot\nmatch ^x (?<ip>\\S+)\n"

static const struct {
	const char *what;
	const char *file1; /* 10-a.rules */
	const char *file2; /* 20-b.rules, NULL for none */
	bool ok;
} load_cases[] = {
    {"good", "rule a\n" GOOD_TAIL, NULL, true},
    {"comments and blank lines", "# c\n\n  rule a   # x\n  " GOOD_TAIL, NULL,
        true},
    {"literal", "rule a\nliteral x y#z\n" GOOD_TAIL, NULL, true},
    {"sm_user_unknown needs no ip",
        "rule a\nkind sm_user_unknown\ntag sm-mta\nmatch ^(?<qid>\\w+)\n", NULL,
        true},
    {"duplicate capture names",
        "rule a\nkind login\ntag t\n"
        "match ^(?:a(?<ip>\\S+)|b(?<ip>\\S+))\n",
        NULL, true},
    {"unknown keyword", "rule a\n" GOOD_TAIL "colour red\n", NULL, false},
    {"keyword before rule", "kind login\nrule a\n" GOOD_TAIL, NULL, false},
    {"bad regex", "rule a\nkind login\ntag t\nmatch ^(?<ip>[a\n", NULL, false},
    {"bad tag regex", "rule a\nkind login\ntag (x\nmatch ^(?<ip>a)\n", NULL,
        false},
    {"unknown capture name",
        "rule a\nkind login\ntag t\nmatch ^(?<ip>a)(?<colour>b)\n", NULL,
        false},
    {"missing ip capture", "rule a\nkind login\ntag t\nmatch ^(?<user>a)\n",
        NULL, false},
    {"duplicate name in one file", "rule a\n" GOOD_TAIL "rule a\n" GOOD_TAIL,
        NULL, false},
    {"duplicate name across files", "rule a\n" GOOD_TAIL, "rule a\n" GOOD_TAIL,
        false},
    {"unknown kind", "rule a\nkind nonsense\ntag t\nmatch ^(?<ip>a)\n", NULL,
        false},
    {"missing kind", "rule a\ntag t\nmatch ^(?<ip>a)\n", NULL, false},
    {"missing tag", "rule a\nkind login\nmatch ^(?<ip>a)\n", NULL, false},
    {"missing match", "rule a\nkind login\ntag t\n", NULL, false},
    {"bad rule name", "rule a/b\n" GOOD_TAIL, NULL, false},
    {"duplicate keyword", "rule a\n" GOOD_TAIL "match ^(?<ip>b)\n", NULL,
        false},
    {"error in second file", "rule a\n" GOOD_TAIL, "rule b\nkind login\n",
        false},
    {"no rules", "# nothing\n", NULL, false},
};

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
}

START_TEST(test_load_errors)
{
	char dir[] = "/tmp/check_rule.XXXXXX";
	char cmd[600];
	struct ruleset *rs;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	write_file(dir, "10-a.rules", load_cases[_i].file1);
	if (load_cases[_i].file2 != NULL)
		write_file(dir, "20-b.rules", load_cases[_i].file2);
	write_file(dir, "README", "not a rules file: ignored\n");
	rs = rule_load(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	if (load_cases[_i].ok)
		ck_assert_msg(
		    rs != NULL, "%s: rule_load failed", load_cases[_i].what);
	else
		ck_assert_msg(rs == NULL, "%s: rule_load accepted it",
		    load_cases[_i].what);
	rule_free(rs);
}
END_TEST

START_TEST(test_load_missing_dir)
{
	ck_assert_ptr_null(rule_load("/nonexistent/popauthd/rules"));
}
END_TEST

/* load_text - a ruleset from one rules file holding text (must load) */
static struct ruleset *
load_text(const char *text)
{
	char dir[] = "/tmp/check_rule.XXXXXX";
	char cmd[600];
	struct ruleset *rs;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	write_file(dir, "10-a.rules", text);
	rs = rule_load(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_ptr_nonnull(rs);
	return rs;
}

/* an ip capture that is no address makes the next candidate rule try */
START_TEST(test_ip_fallthrough)
{
	char out[256];
	static const char line[] = "Nov 23 06:11:58 vm t: x 999.1.1.1 1.2.3.4";
	struct ruleset *rs = load_text(
	    "rule first\nkind login\ntag t\nliteral x\nmatch ^x (?<ip>\\S+)\n"
	    "rule second\nkind login\ntag t\nmatch ^x \\S+ (?<ip>\\S+)$\n");
	struct logline ll;
	struct event ev;

	ck_assert_int_eq(logline_parse(line, sizeof(line) - 1, &ll, NULL), 0);
	ck_assert(rule_match(rs, &ll, &ev));
	rule_format_event(&ev, out, sizeof(out));
	ck_assert_str_eq(out, "second login ip=1.2.3.4");
	rule_free(rs);
}
END_TEST

/*
 * an ip capture that is no client address (unspecified, multicast,
 * broadcast: addr_is_client) fails its rule like junk does: the next
 * candidate tries, and with none left the line gives no event
 */
static const struct {
	const char *line;
	const char *want;
} not_client_cases[] = {
    {"Nov 23 06:11:58 vm t: x 0.0.0.0 192.0.2.7", "second login ip=192.0.2.7"},
    {"Nov 23 06:11:58 vm t: x ff02::1 2001:db8::7",
        "second login ip=2001:db8::7"},
    {"Nov 23 06:11:58 vm t: x 192.0.2.7 0.0.0.0", "first login ip=192.0.2.7"},
    {"Nov 23 06:11:58 vm t: x 0.0.0.0 ::", "-"},
    {"Nov 23 06:11:58 vm t: x 224.0.0.1 255.255.255.255", "-"},
    {"Nov 23 06:11:58 vm t: x ::ffff:0.0.0.0 ff0e::5", "-"},
    {"Nov 23 06:11:58 vm t: x 0.255.255.255 239.255.255.255", "-"},
};

START_TEST(test_ip_not_client)
{
	char out[256];
	struct ruleset *rs = load_text(
	    "rule first\nkind login\ntag t\nmatch ^x (?<ip>\\S+)\n"
	    "rule second\nkind login\ntag t\nmatch ^x \\S+ (?<ip>\\S+)$\n");
	struct logline ll;
	struct event ev;
	const char *line = not_client_cases[_i].line;

	ck_assert_int_eq(logline_parse(line, strlen(line), &ll, NULL), 0);
	if (rule_match(rs, &ll, &ev))
		rule_format_event(&ev, out, sizeof(out));
	else
		snprintf(out, sizeof(out), "-");
	ck_assert_msg(strcmp(out, not_client_cases[_i].want) == 0,
	    "%s: got \"%s\", want \"%s\"", line, out,
	    not_client_cases[_i].want);
	rule_free(rs);
}
END_TEST

/* match_line - rule_match on one syslog line: "NAME kind ..." or "-" */
static const char *
match_line(struct ruleset *rs, const char *line, char *out, size_t size)
{
	struct logline ll;
	struct event ev;

	ck_assert_int_eq(logline_parse(line, strlen(line), &ll, NULL), 0);
	if (!rule_match(rs, &ll, &ev))
		return "-";
	rule_format_event(&ev, out, size);
	return out;
}

/*
 * gate: a shared one skips a tag's lines that lack it; a tag whose rules do
 * not all name the same gate matches exactly as without gates
 */
START_TEST(test_gate)
{
	char out[256];
	struct ruleset *rs = load_text(
	    "rule g1\nkind login\ntag g\ngate : ok:\nmatch ^a: ok: "
	    "(?<ip>\\S+)$\n"
	    "rule g2\nkind login\ntag g\ngate : ok:\nmatch ^b: ok: "
	    "(?<ip>\\S+)$\n"
	    /* a wrong gate makes its tag's rules miss: the admin's promise */
	    "rule w1\nkind login\ntag w\ngate never\nmatch ^a (?<ip>\\S+)$\n"
	    /* mixed: one rule has no gate, so no line is skipped early */
	    "rule m1\nkind login\ntag m\ngate never\nmatch ^a (?<ip>\\S+)$\n"
	    "rule m2\nkind login\ntag m\nmatch ^b (?<ip>\\S+)$\n");

	ck_assert_str_eq(
	    match_line(
	        rs, "Nov 23 06:11:58 vm g: b: ok: 192.0.2.1", out, sizeof(out)),
	    "g2 login ip=192.0.2.1");
	ck_assert_str_eq(
	    match_line(
	        rs, "Nov 23 06:11:58 vm g: b: no: 192.0.2.1", out, sizeof(out)),
	    "-");
	ck_assert_str_eq(match_line(rs, "Nov 23 06:11:58 vm w: a 192.0.2.2",
	                     out, sizeof(out)),
	    "-");
	ck_assert_str_eq(match_line(rs, "Nov 23 06:11:58 vm m: b 192.0.2.3",
	                     out, sizeof(out)),
	    "m2 login ip=192.0.2.3");
	/* the gate is cached per tag: a second line takes the cached path */
	ck_assert_str_eq(
	    match_line(
	        rs, "Nov 23 06:11:58 vm g: a: ok: 192.0.2.4", out, sizeof(out)),
	    "g1 login ip=192.0.2.4");
	rule_free(rs);
}
END_TEST

/* the tag cache never answers for another tag: tags that share a slot
 * (same length, first and last 8 bytes), 2000 tags in turn, long tags */
START_TEST(test_tag_cache)
{
	char out[256], line[256], tag[128];
	struct ruleset *rs = load_text(
	    "rule t\nkind login\ntag (?:t[0-9]+x|abcdefgh-1-stuvwxyz|L+)\n"
	    "match ^ok (?<ip>\\S+)$\n");
	int pass, i;

	for (pass = 0; pass < 3; pass++) {
		ck_assert_str_eq(match_line(rs,
		                     "Nov 23 06:11:58 vm abcdefgh-1-stuvwxyz: "
		                     "ok 192.0.2.1",
		                     out, sizeof(out)),
		    "t login ip=192.0.2.1");
		ck_assert_str_eq(match_line(rs,
		                     "Nov 23 06:11:58 vm abcdefgh-2-stuvwxyz: "
		                     "ok 192.0.2.1",
		                     out, sizeof(out)),
		    "-");
		for (i = 0; i < 2000; i++) {
			snprintf(line, sizeof(line),
			    "Nov 23 06:11:58 vm t%d%c: ok 192.0.2.%d", i,
			    i % 2 ? 'x' : 'y', i % 250 + 1);
			snprintf(tag, sizeof(tag), "t login ip=192.0.2.%d",
			    i % 250 + 1);
			ck_assert_str_eq(match_line(rs, line, out, sizeof(out)),
			    i % 2 ? tag : "-");
		}
		/* 64 bytes and more: looked up every time, not cached */
		memset(tag, 'L', 100);
		for (i = 60; i < 100; i++) {
			snprintf(line, sizeof(line),
			    "Nov 23 06:11:58 vm %.*s%s: ok 192.0.2.9", i, tag,
			    i % 2 ? "" : "Q");
			ck_assert_str_eq(match_line(rs, line, out, sizeof(out)),
			    i % 2 ? "t login ip=192.0.2.9" : "-");
		}
	}
	rule_free(rs);
}
END_TEST

static Suite *
rule_suite(void)
{
	Suite *s = suite_create("rule");
	TCase *tc = tcase_create("corpus");

	/* quiet: the load-error cases log on purpose */
	log_open(NULL, false, false);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_corpus);
	tcase_add_test(tc, test_hits);
	tcase_add_test(tc, test_format_truncates);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_ip_fallthrough);
	tcase_add_loop_test(
	    tc, test_ip_not_client, 0, (int)NITEMS(not_client_cases));
	tcase_add_test(tc, test_gate);
	tcase_add_test(tc, test_tag_cache);
	suite_add_tcase(s, tc);
	tc = tcase_create("load");
	tcase_add_loop_test(tc, test_load_errors, 0, NITEMS(load_cases));
	tcase_add_test(tc, test_load_missing_dir);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(rule_suite)
