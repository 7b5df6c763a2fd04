#include "sn/metrics.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const double sn_metrics_latency_bounds[] = { 0.0005, 0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
const size_t sn_metrics_latency_nbounds
    = sizeof(sn_metrics_latency_bounds) / sizeof(sn_metrics_latency_bounds[0]);

enum kind { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM };

static const char *const kind_names[] = { "counter", "gauge", "histogram" };

/*
 * Updates are relaxed atomics: a scrape needs each number to be one that
 * really was, not an order between different numbers.
 */
struct sn_counter {
	_Atomic uint64_t v;
};

struct sn_gauge {
	_Atomic int64_t v;
};

/*
 * Buckets count only their own range; render adds them up, and renders
 * _count as the total, so _count always equals the +Inf bucket even when
 * a scrape races an observation. The sum is a double kept as its bit
 * pattern in an atomic integer and updated by compare-and-swap: C11 has
 * no atomic add for floating types that does not need libatomic, and
 * fixed-point micro-units would lose sub-microsecond latencies.
 */
struct sn_histogram {
	double           *bounds;
	size_t            nbounds;
	_Atomic uint64_t *buckets; /* nbounds + 1, the last is +Inf */
	_Atomic uint64_t  sum_bits;
};

/* Allocated one by one, so the pointers handed out never move. */
struct series {
	char               *labels; /* "" for none */
	struct sn_counter   counter;
	struct sn_gauge     gauge;
	struct sn_histogram hist;
};

struct family {
	char           *name;
	char           *help;
	enum kind       kind;
	struct series **series;
	size_t          nseries;
	size_t          cap;
};

/* A function run before each render (sn_metrics_on_render). */
struct hook {
	struct hook       *next;
	sn_metrics_hook_fn fn;
	void              *arg;
};

struct sn_metrics {
	pthread_mutex_t lock; /* guards the arrays, not the numbers */
	struct family **families;
	size_t          nfamilies;
	size_t          cap;
	struct hook    *hooks; /* guarded by lock too */
};

sn_metrics *
sn_metrics_new(void)
{
	sn_metrics *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m);
		return NULL;
	}
	return m;
}

static void
series_free(struct series *s)
{
	if (s == NULL)
		return;
	free(s->hist.bounds);
	free(s->hist.buckets);
	free(s->labels);
	free(s);
}

static void
family_free(struct family *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->nseries; i++)
		series_free(f->series[i]);
	free(f->series);
	free(f->name);
	free(f->help);
	free(f);
}

void
sn_metrics_free(sn_metrics *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nfamilies; i++)
		family_free(m->families[i]);
	free(m->families);
	while (m->hooks != NULL) {
		struct hook *h = m->hooks;
		m->hooks       = h->next;
		free(h);
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/*
 * realloc'd arrays of pointers: each caller reallocs its own typed array
 * rather than share a helper through void **, which would break aliasing.
 */
static size_t
next_cap(size_t cap)
{
	return cap == 0 ? 8 : cap * 2;
}

static struct family *
family_get(sn_metrics *m, const char *name, const char *help, enum kind kind)
{
	struct family *f;

	for (size_t i = 0; i < m->nfamilies; i++) {
		f = m->families[i];
		if (strcmp(f->name, name) == 0)
			return f;
	}
	if (m->nfamilies == m->cap) {
		size_t          ncap = next_cap(m->cap);
		struct family **p    = realloc(m->families, ncap * sizeof(*p));

		if (p == NULL)
			return NULL;
		m->families = p;
		m->cap      = ncap;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	f->kind = kind;
	f->name = strdup(name);
	f->help = strdup(help != NULL ? help : "");
	if (f->name == NULL || f->help == NULL) {
		family_free(f);
		return NULL;
	}
	m->families[m->nfamilies++] = f;
	return f;
}

static struct series *
series_get(sn_metrics *m, const char *name, const char *help,
    const char *labels, enum kind kind, const double *bounds, size_t nbounds)
{
	struct family *f;
	struct series *s = NULL;

	assert(m != NULL && name != NULL);
	if (labels == NULL)
		labels = "";
	pthread_mutex_lock(&m->lock);
	if ((f = family_get(m, name, help, kind)) == NULL)
		goto out;
	if (f->kind != kind) {
		assert(!"metric name reused with another type");
		goto out;
	}
	for (size_t i = 0; i < f->nseries; i++) {
		if (strcmp(f->series[i]->labels, labels) == 0) {
			s = f->series[i];
			goto out;
		}
	}
	if (f->nseries == f->cap) {
		size_t          ncap = next_cap(f->cap);
		struct series **p    = realloc(f->series, ncap * sizeof(*p));

		if (p == NULL)
			goto out;
		f->series = p;
		f->cap    = ncap;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		goto out;
	if ((s->labels = strdup(labels)) == NULL)
		goto fail_series;
	if (kind == KIND_HISTOGRAM) {
		s->hist.nbounds = nbounds;
		s->hist.bounds  = malloc((nbounds + 1) * sizeof(double));
		s->hist.buckets
		    = calloc(nbounds + 1, sizeof(*s->hist.buckets));
		if (s->hist.bounds == NULL || s->hist.buckets == NULL)
			goto fail_series;
		for (size_t i = 0; i < nbounds; i++) {
			assert(i == 0 || bounds[i] > bounds[i - 1]);
			s->hist.bounds[i] = bounds[i];
		}
	}
	f->series[f->nseries++] = s;
	goto out;

fail_series:
	series_free(s);
	s = NULL;
out:
	pthread_mutex_unlock(&m->lock);
	return s;
}

sn_counter *
sn_metrics_counter(
    sn_metrics *m, const char *name, const char *help, const char *labels)
{
	struct series *s
	    = series_get(m, name, help, labels, KIND_COUNTER, NULL, 0);

	return s != NULL ? &s->counter : NULL;
}

sn_gauge *
sn_metrics_gauge(
    sn_metrics *m, const char *name, const char *help, const char *labels)
{
	struct series *s
	    = series_get(m, name, help, labels, KIND_GAUGE, NULL, 0);

	return s != NULL ? &s->gauge : NULL;
}

sn_histogram *
sn_metrics_histogram(sn_metrics *m, const char *name, const char *help,
    const char *labels, const double *bounds, size_t nbounds)
{
	struct series *s = series_get(
	    m, name, help, labels, KIND_HISTOGRAM, bounds, nbounds);

	return s != NULL ? &s->hist : NULL;
}

void
sn_counter_add(sn_counter *c, uint64_t n)
{
	atomic_fetch_add_explicit(&c->v, n, memory_order_relaxed);
}

uint64_t
sn_counter_get(const sn_counter *c)
{
	return atomic_load_explicit(&c->v, memory_order_relaxed);
}

void
sn_gauge_set(sn_gauge *g, int64_t v)
{
	atomic_store_explicit(&g->v, v, memory_order_relaxed);
}

void
sn_gauge_add(sn_gauge *g, int64_t delta)
{
	atomic_fetch_add_explicit(&g->v, delta, memory_order_relaxed);
}

int64_t
sn_gauge_get(const sn_gauge *g)
{
	return atomic_load_explicit(&g->v, memory_order_relaxed);
}

static double
bits_to_double(uint64_t bits)
{
	double d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

static uint64_t
double_to_bits(double d)
{
	uint64_t bits;

	memcpy(&bits, &d, sizeof(bits));
	return bits;
}

void
sn_histogram_observe(sn_histogram *h, double v)
{
	size_t   i;
	uint64_t old, sum;

	/* A NaN would turn the sum into NaN for the life of the process. */
	if (isnan(v))
		return;
	for (i = 0; i < h->nbounds && v > h->bounds[i]; i++)
		;
	atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);

	old = atomic_load_explicit(&h->sum_bits, memory_order_relaxed);
	do
		sum = double_to_bits(bits_to_double(old) + v);
	while (!atomic_compare_exchange_weak_explicit(&h->sum_bits, &old, sum,
	    memory_order_relaxed, memory_order_relaxed));
}

struct buf {
	char  *p;
	size_t len;
	size_t cap;
	bool   failed;
};

static void
put_n(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t ncap = b->cap == 0 ? 4096 : b->cap;
		char  *p;

		while (b->len + n + 1 > ncap)
			ncap *= 2;
		if ((p = realloc(b->p, ncap)) == NULL) {
			b->failed = true;
			return;
		}
		b->p   = p;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
put(struct buf *b, const char *s)
{
	put_n(b, s, strlen(s));
}

static void
put_u64(struct buf *b, uint64_t v)
{
	char tmp[24];

	(void) snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long) v);
	put(b, tmp);
}

static void
put_i64(struct buf *b, int64_t v)
{
	char tmp[24];

	(void) snprintf(tmp, sizeof(tmp), "%lld", (long long) v);
	put(b, tmp);
}

/*
 * The shortest text that reads back as the same double, in Prometheus's
 * spelling of the special values: "0.1" rather than "0.10000000000000001"
 * so that le labels match what other clients write.
 */
static void
put_double(struct buf *b, double v)
{
	char tmp[32];

	if (isnan(v)) {
		put(b, "NaN");
		return;
	}
	if (isinf(v)) {
		put(b, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		(void) snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	put(b, tmp);
}

static void
put_help(struct buf *b, const char *help)
{
	for (const char *p = help; *p != '\0'; p++) {
		if (*p == '\\')
			put(b, "\\\\");
		else if (*p == '\n')
			put(b, "\\n");
		else
			put_n(b, p, 1);
	}
}

/* name{labels} or name{labels,le="..."}, without the braces when empty. */
static void
put_series_name(struct buf *b, const char *name, const char *suffix,
    const char *labels, const double *le)
{
	put(b, name);
	put(b, suffix);
	if (labels[0] == '\0' && le == NULL) {
		put(b, " ");
		return;
	}
	put(b, "{");
	put(b, labels);
	if (le != NULL) {
		if (labels[0] != '\0')
			put(b, ",");
		put(b, "le=\"");
		put_double(b, *le);
		put(b, "\"");
	}
	put(b, "} ");
}

static void
put_histogram(struct buf *b, const char *name, const struct series *s)
{
	const struct sn_histogram *h     = &s->hist;
	const double               inf   = INFINITY;
	uint64_t                   total = 0;
	uint64_t                   sum;

	for (size_t i = 0; i <= h->nbounds; i++) {
		total += atomic_load_explicit(
		    &h->buckets[i], memory_order_relaxed);
		put_series_name(b, name, "_bucket", s->labels,
		    i < h->nbounds ? &h->bounds[i] : &inf);
		put_u64(b, total);
		put(b, "\n");
	}
	sum = atomic_load_explicit(&h->sum_bits, memory_order_relaxed);
	put_series_name(b, name, "_sum", s->labels, NULL);
	put_double(b, bits_to_double(sum));
	put(b, "\n");
	put_series_name(b, name, "_count", s->labels, NULL);
	put_u64(b, total);
	put(b, "\n");
}

char *
sn_metrics_render(sn_metrics *m)
{
	struct buf b = { 0 };

	/* The hooks set gauges of values that change with time alone
	 * (ages): run outside the lock, since they may create series. */
	pthread_mutex_lock(&m->lock);
	size_t nh = 0;
	for (struct hook *h = m->hooks; h != NULL; h = h->next)
		nh++;
	struct hook *copy = nh ? calloc(nh, sizeof(*copy)) : NULL;
	size_t       k    = 0;
	for (struct hook *h = m->hooks; h != NULL && copy != NULL; h = h->next)
		copy[k++] = *h;
	pthread_mutex_unlock(&m->lock);
	for (size_t i = 0; i < k; i++)
		copy[i].fn(copy[i].arg);
	free(copy);

	put(&b, ""); /* an empty registry still renders a string */
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->nfamilies; i++) {
		const struct family *f = m->families[i];

		put(&b, "# HELP ");
		put(&b, f->name);
		if (f->help[0] != '\0') {
			put(&b, " ");
			put_help(&b, f->help);
		}
		put(&b, "\n# TYPE ");
		put(&b, f->name);
		put(&b, " ");
		put(&b, kind_names[f->kind]);
		put(&b, "\n");
		for (size_t j = 0; j < f->nseries; j++) {
			const struct series *s = f->series[j];

			switch (f->kind) {
			case KIND_COUNTER:
				put_series_name(
				    &b, f->name, "", s->labels, NULL);
				put_u64(&b, sn_counter_get(&s->counter));
				break;
			case KIND_GAUGE:
				put_series_name(
				    &b, f->name, "", s->labels, NULL);
				put_i64(&b, sn_gauge_get(&s->gauge));
				break;
			case KIND_HISTOGRAM:
				put_histogram(&b, f->name, s);
				continue;
			}
			put(&b, "\n");
		}
	}
	pthread_mutex_unlock(&m->lock);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

sn_err
sn_metrics_on_render(sn_metrics *m, sn_metrics_hook_fn fn, void *arg)
{
	struct hook *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return SN_ENOMEM;
	h->fn  = fn;
	h->arg = arg;
	pthread_mutex_lock(&m->lock);
	h->next  = m->hooks;
	m->hooks = h;
	pthread_mutex_unlock(&m->lock);
	return SN_OK;
}

void
sn_metrics_on_render_remove(sn_metrics *m, sn_metrics_hook_fn fn, void *arg)
{
	pthread_mutex_lock(&m->lock);
	for (struct hook **p = &m->hooks; *p != NULL; p = &(*p)->next) {
		if ((*p)->fn == fn && (*p)->arg == arg) {
			struct hook *h = *p;
			*p             = h->next;
			free(h);
			break;
		}
	}
	pthread_mutex_unlock(&m->lock);
}
