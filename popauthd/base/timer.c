/*
 * timer.c - the timer heap (see timer.h).
 *
 * One heap for the whole daemon: expiries of every tracker are ordered together,
 * so the loop wakes exactly at the next one.  A fired timer is disarmed before its
 * callback runs, so the callback may re-arm it.
 */
#include "timer.h"
#include "util.h"

#include <stdlib.h>

/*
 * Each slot keeps its key beside the pointer, so sifting compares within
 * the array and does not visit the records.  A key may be earlier than
 * its timer's when: a timer pushed later (an expiry refreshed at every
 * hit, the common case) keeps its slot, and is put in its place only
 * when its old key comes up (timer_run, timer_next).
 */
struct slot {
	time_t key;
	struct timer *t;
};

static struct slot *heap;
static size_t heap_n, heap_cap;

static void
place(size_t i, struct slot s)
{
	heap[i] = s;
	s.t->idx = i + 1;
}

static void
sift_up(size_t i)
{
	struct slot s = heap[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (heap[p].key <= s.key)
			break;
		place(i, heap[p]);
		i = p;
	}
	place(i, s);
}

static void
sift_down(size_t i)
{
	struct slot s = heap[i];

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = l;

		if (l >= heap_n)
			break;
		if (r < heap_n && heap[r].key < heap[l].key)
			m = r;
		if (s.key <= heap[m].key)
			break;
		place(i, heap[m]);
		i = m;
	}
	place(i, s);
}

void
timer_set(struct timer *t, time_t when, timer_fn *fn)
{
	t->fn = fn;
	if (t->idx != 0) {
		size_t i = t->idx - 1;

		t->when = when;
		if (when < heap[i].key) {
			heap[i].key = when;
			sift_up(i);
		}
		/* later: the slot's early key is fixed up when it comes up */
		return;
	}
	if (heap_n == heap_cap) {
		heap_cap = heap_cap ? heap_cap * 2 : 1024;
		heap = xrealloc(heap, heap_cap * sizeof(*heap));
	}
	t->when = when;
	heap[heap_n].key = when;
	heap[heap_n].t = t;
	t->idx = ++heap_n;
	sift_up(heap_n - 1);
}

void
timer_cancel(struct timer *t)
{
	size_t i;

	if (t->idx == 0)
		return;
	i = t->idx - 1;
	t->idx = 0;
	heap_n--;
	if (i == heap_n)
		return;
	place(i, heap[heap_n]);
	sift_up(i);
	sift_down(i); /* a no-op when it went up: i then holds an ancestor */
}

void
timer_moved(struct timer *t)
{
	if (t->idx != 0)
		heap[t->idx - 1].t = t;
}

bool
timer_armed(const struct timer *t)
{
	return t->idx != 0;
}

/* settle_top - the top slot's key made its timer's when, until it is */
static void
settle_top(void)
{
	while (heap_n > 0 && heap[0].key < heap[0].t->when) {
		heap[0].key = heap[0].t->when;
		sift_down(0);
	}
}

time_t
timer_next(void)
{
	settle_top();
	return heap_n > 0 ? heap[0].key : -1;
}

size_t
timer_run(time_t now)
{
	size_t fired = 0;

	for (;;) {
		struct timer *t;

		settle_top();
		if (heap_n == 0 || heap[0].key > now)
			break;
		t = heap[0].t;
		timer_cancel(t);
		t->fn(t);
		fired++;
	}
	return fired;
}

size_t
timer_count(void)
{
	return heap_n;
}
