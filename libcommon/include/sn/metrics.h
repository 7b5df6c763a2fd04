/*
 * sn/metrics.h - counters, gauges and histograms in Prometheus text format.
 *
 * A registry holds series, each a metric name plus a fixed label set
 * written as Prometheus renders it (route="/cases",status="200"), or NULL
 * for none. Asking for a series that exists returns the same pointer, so
 * hot paths look a series up once and keep it. Series live as long as the
 * registry. Updates are atomic and may come from any thread; creating a
 * series and rendering take the registry's lock.
 */
#ifndef SN_METRICS_H
#define SN_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "sn/err.h"

typedef struct sn_metrics   sn_metrics;
typedef struct sn_counter   sn_counter;
typedef struct sn_gauge     sn_gauge;
typedef struct sn_histogram sn_histogram;

/* A new empty registry, or NULL when out of memory. */
sn_metrics *sn_metrics_new(void);
/* Frees the registry and every series in it. NULL is a no-op. */
void sn_metrics_free(sn_metrics *m);

/*
 * The series name{labels}, created on first use with help as its HELP
 * text. NULL only when out of memory or when name is already a metric of
 * another type (a programmer error, also asserted in debug builds).
 */
sn_counter *sn_metrics_counter(
    sn_metrics *m, const char *name, const char *help, const char *labels);
sn_gauge *sn_metrics_gauge(
    sn_metrics *m, const char *name, const char *help, const char *labels);
/*
 * bounds are the upper bounds of the buckets, ascending, in the unit of
 * the metric (seconds for latencies); +Inf is implied. They are copied.
 */
sn_histogram *sn_metrics_histogram(sn_metrics *m, const char *name,
    const char *help, const char *labels, const double *bounds,
    size_t nbounds);

/* Default latency buckets, 0.5 ms to 10 s. */
extern const double sn_metrics_latency_bounds[];
extern const size_t sn_metrics_latency_nbounds;

void     sn_counter_add(sn_counter *c, uint64_t n);
uint64_t sn_counter_get(const sn_counter *c);
void     sn_gauge_set(sn_gauge *g, int64_t v);
void     sn_gauge_add(sn_gauge *g, int64_t delta);
int64_t  sn_gauge_get(const sn_gauge *g);
void     sn_histogram_observe(sn_histogram *h, double v);

/*
 * The whole registry in Prometheus text exposition format 0.0.4, one
 * HELP and TYPE line per metric name followed by its series. Returns a
 * malloc'd NUL-terminated string the caller frees, or NULL when out of
 * memory.
 */
char *sn_metrics_render(sn_metrics *m);

/*
 * fn(arg) runs at the start of every sn_metrics_render, on the thread
 * that renders (a service's loop thread: /metrics), before any series is
 * read: for gauges of values that change with time alone, such as the age
 * of the oldest event not applied. fn may set and create series. Removed
 * by sn_metrics_on_render_remove (the same fn and arg) or with the
 * registry. SN_ENOMEM when out of memory.
 */
typedef void (*sn_metrics_hook_fn)(void *arg);
sn_err sn_metrics_on_render(sn_metrics *m, sn_metrics_hook_fn fn, void *arg);
void   sn_metrics_on_render_remove(
      sn_metrics *m, sn_metrics_hook_fn fn, void *arg);

#endif /* SN_METRICS_H */
