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

static struct timer **heap;
static size_t heap_n, heap_cap;

static void
heap_swap(size_t a, size_t b)
{
	struct timer *t = heap[a];

	heap[a] = heap[b];
	heap[b] = t;
	heap[a]->idx = a + 1;
	heap[b]->idx = b + 1;
}

static void
sift_up(size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (heap[p]->when <= heap[i]->when)
			break;
		heap_swap(i, p);
		i = p;
	}
}

static void
sift_down(size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < heap_n && heap[l]->when < heap[m]->when)
			m = l;
		if (r < heap_n && heap[r]->when < heap[m]->when)
			m = r;
		if (m == i)
			break;
		heap_swap(i, m);
		i = m;
	}
}

void
timer_set(struct timer *t, time_t when, timer_fn *fn)
{
	t->fn = fn;
	if (t->idx != 0) {
		time_t old = t->when;

		t->when = when;
		if (when < old)
			sift_up(t->idx - 1);
		else
			sift_down(t->idx - 1);
		return;
	}
	if (heap_n == heap_cap) {
		heap_cap = heap_cap ? heap_cap * 2 : 1024;
		heap = xrealloc(heap, heap_cap * sizeof(*heap));
	}
	t->when = when;
	heap[heap_n] = t;
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
	heap[i] = heap[heap_n];
	heap[i]->idx = i + 1;
	sift_up(i);
	sift_down(heap[i]->idx - 1);
}

void
timer_moved(struct timer *t)
{
	if (t->idx != 0)
		heap[t->idx - 1] = t;
}

bool
timer_armed(const struct timer *t)
{
	return t->idx != 0;
}

time_t
timer_next(void)
{
	return heap_n > 0 ? heap[0]->when : -1;
}

size_t
timer_run(time_t now)
{
	size_t fired = 0;

	while (heap_n > 0 && heap[0]->when <= now) {
		struct timer *t = heap[0];

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
