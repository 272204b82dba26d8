/*
 * check_recfile.c - the append-only record file: what a reopen sees up to
 * the committed mark (and only that), a damaged record, a missing or
 * foreign file, compaction with or without its mark committed, and
 * the same records written by the replay's write-behind thread.
 */
#include "test.h"

#include "recfile.h"
#include "wbehind.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/check_recfile.XXXXXX";
static char path[64];

struct seen {
	size_t n;
	uint64_t off[16];
	char text[16][32];
};

static void
collect(void *arg, uint64_t off, const uint8_t *p, size_t n)
{
	struct seen *s = arg;

	if (s->n < 16) {
		s->off[s->n] = off;
		snprintf(s->text[s->n], sizeof(s->text[0]), "%.*s", (int)n,
		    (const char *)p);
	}
	s->n++;
}

static uint64_t
add(struct recfile *r, const char *text)
{
	uint8_t *p = recfile_reserve(r, strlen(text));

	memcpy(p, text, strlen(text));
	return recfile_add(r, strlen(text));
}

static struct recfile *
reopen(const struct recfile_mark *m, struct seen *s)
{
	struct recfile *r;

	memset(s, 0, sizeof(*s));
	ck_assert_ptr_nonnull(r = recfile_open(dir, "t", m, collect, s));
	return r;
}

static off_t
file_size(void)
{
	struct stat sb;

	ck_assert_int_eq(stat(path, &sb), 0);
	return sb.st_size;
}

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.journal", dir);
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(dir, "/tmp/check_recfile.XXXXXX");
}

START_TEST(test_mark_bounds_what_counts)
{
	struct recfile_mark m;
	struct seen s;
	struct recfile *r = reopen(NULL, &s);
	uint8_t buf[64];
	uint64_t o1, o2;

	ck_assert_uint_eq(s.n, 0);
	o1 = add(r, "one");
	o2 = add(r, "two");
	/* read back while still buffered, then from the file */
	ck_assert_int_eq(recfile_read(r, o2, buf, sizeof(buf)), 3);
	ck_assert_int_eq(memcmp(buf, "two", 3), 0);
	ck_assert_int_eq(recfile_flush(r), 0);
	recfile_mark(r, &m);
	ck_assert_int_eq(recfile_read(r, o1, buf, sizeof(buf)), 3);
	ck_assert_int_eq(memcmp(buf, "one", 3), 0);
	/* written, but its commit never came */
	add(r, "three");
	recfile_close(r);
	r = reopen(&m, &s);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_uint_eq(s.off[0], o1);
	ck_assert_uint_eq(s.off[1], o2);
	ck_assert_str_eq(s.text[1], "two");
	ck_assert_int_eq(file_size(), (off_t)m.len); /* the rest cut off */
	ck_assert_uint_eq(recfile_bytes(r), m.len);
	recfile_close(r);
	/* nothing committed at all: the file starts empty */
	r = reopen(NULL, &s);
	ck_assert_uint_eq(s.n, 0);
	recfile_close(r);
}
END_TEST

START_TEST(test_damage_and_foreign_files)
{
	struct recfile_mark m, wrong;
	struct seen s;
	struct recfile *r = reopen(NULL, &s);
	uint64_t o2;
	int fd;

	add(r, "aaaa");
	o2 = add(r, "bbbb");
	add(r, "cccc");
	ck_assert_int_eq(recfile_flush(r), 0);
	recfile_mark(r, &m);
	recfile_close(r);
	/* a byte of the second payload flips: cut there, with a warning */
	ck_assert_int_ge(fd = open(path, O_WRONLY), 0);
	ck_assert_int_eq(pwrite(fd, "X", 1, (off_t)o2 + 9), 1);
	close(fd);
	r = reopen(&m, &s);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_int_eq(file_size(), (off_t)o2);
	recfile_mark(r, &m);
	recfile_close(r);
	/* a file of another generation is not the one committed */
	wrong = m;
	wrong.gen += 5;
	r = reopen(&wrong, &s);
	ck_assert_uint_eq(s.n, 0);
	recfile_close(r);
	/* a missing file: what was committed is gone, the file starts anew */
	ck_assert_int_eq(unlink(path), 0);
	r = reopen(&m, &s);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_int_gt(file_size(), 0);
	recfile_close(r);
}
END_TEST

START_TEST(test_compaction)
{
	struct recfile_mark before, after;
	struct seen s;
	struct recfile *r = reopen(NULL, &s);
	uint64_t o[4];
	int64_t n1, n3;
	uint8_t buf[64];
	char tmp[80];

	o[0] = add(r, "drop-me");
	o[1] = add(r, "keep-one");
	o[2] = add(r, "drop-me-too");
	o[3] = add(r, "keep-two");
	ck_assert_int_eq(recfile_flush(r), 0);
	recfile_mark(r, &before);
	/* a compaction that fails leaves the file as it was */
	ck_assert_int_eq(recfile_compact_begin(r), 0);
	ck_assert_int_ge(recfile_compact_copy(r, o[1]), 0);
	ck_assert_int_eq(recfile_compact_end(r, false), -1);
	ck_assert_int_eq(recfile_read(r, o[3], buf, sizeof(buf)), 8);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	ck_assert_int_ne(access(tmp, F_OK), 0);
	/* keep two of four */
	ck_assert_int_eq(recfile_compact_begin(r), 0);
	ck_assert_int_ge(n1 = recfile_compact_copy(r, o[1]), 0);
	ck_assert_int_ge(n3 = recfile_compact_copy(r, o[3]), 0);
	ck_assert_int_eq(recfile_compact_end(r, true), 0);
	ck_assert_int_eq(recfile_read(r, (uint64_t)n3, buf, sizeof(buf)), 8);
	ck_assert_int_eq(memcmp(buf, "keep-two", 8), 0);
	ck_assert_uint_lt(recfile_bytes(r), before.len);
	recfile_mark(r, &after);
	ck_assert_uint_eq(after.gen, before.gen + 1);
	/* appended after the compaction, never committed */
	add(r, "late");
	recfile_close(r);
	/* the compaction's mark was not committed: the compacted base */
	r = reopen(&before, &s);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_str_eq(s.text[0], "keep-one");
	ck_assert_uint_eq(s.off[1], (uint64_t)n3);
	recfile_close(r);
	/* and with it committed: the same */
	r = reopen(&after, &s);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_str_eq(s.text[1], "keep-two");
	recfile_close(r);
}
END_TEST

/* buffers handed to the write-behind thread: all there, in order */
START_TEST(test_write_behind)
{
	struct recfile_mark m;
	struct seen s;
	struct recfile *r;
	uint64_t mid = 0;
	uint8_t buf[300];
	char text[300];
	int i;

	wb_start();
	r = reopen(NULL, &s);
	for (i = 0; i < 20000; i++) { /* 4 MB: the buffer is queued often */
		uint64_t o;

		snprintf(text, sizeof(text), "%0200d", i);
		o = add(r, text);
		if (i == 10000)
			mid = o;
	}
	/* a queued record is read from the file once the queue is out */
	ck_assert_int_eq(recfile_read(r, mid, buf, sizeof(buf)), 200);
	snprintf(text, sizeof(text), "%0200d", 10000);
	ck_assert_int_eq(memcmp(buf, text, 200), 0);
	ck_assert_int_eq(recfile_flush(r), 0);
	recfile_mark(r, &m);
	recfile_close(r);
	wb_stop();
	ck_assert_int_eq(file_size(), (off_t)m.len);
	r = reopen(&m, &s);
	ck_assert_uint_eq(s.n, 20000);
	ck_assert_str_eq(s.text[15], "0000000000000000000000000000000");
	recfile_close(r);
}
END_TEST

static Suite *
recfile_suite(void)
{
	Suite *s = suite_create("recfile");
	TCase *tc = tcase_create("recfile");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_mark_bounds_what_counts);
	tcase_add_test(tc, test_damage_and_foreign_files);
	tcase_add_test(tc, test_compaction);
	tcase_add_test(tc, test_write_behind);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(recfile_suite)
