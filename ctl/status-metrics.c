/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corovipctl metrics and metrics_listen: the Prometheus text exposition format. */
#include <inttypes.h>
#include <stdio.h>

#include "cv-macros.h"
#include "status-int.h"

static void
metric_head(struct cv_strbuf *b, const char *name, const char *type, const char *help)
{
	cv_strbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
metrics_vips(struct cv_strbuf *b, const struct cv_ipc_report *r)
{
	const struct cv_engine *e = r->engine;
	const struct cv_config *cfg = cv_engine_config(e);
	size_t n = cv_engine_n_vips(e);

	metric_head(b, "corovip_vip_held", "gauge", "1 if this node holds the VIP's address.");
	for (size_t i = 0; i < n; i++)
		cv_strbuf_printf(b, "corovip_vip_held{vip=\"%s\"} %d\n", cfg->vips[i].head.name,
				 cv_engine_vip_state(e, i) == CV_VIP_HELD);
	metric_head(b, "corovip_vip_state", "gauge", "The VIP's local state (1 for the current one).");
	for (size_t i = 0; i < n; i++) {
		cv_status_progress(r); /* thousands of VIPs take a while */
		for (int s = 0; s < _CV_VIP_STATE_MAX; s++)
			cv_strbuf_printf(b, "corovip_vip_state{vip=\"%s\",state=\"%s\"} %d\n",
					 cfg->vips[i].head.name, cv_vip_state_to_string(s),
					 cv_engine_vip_state(e, i) == (enum cv_vip_state)s);
	}
	metric_head(b, "corovip_vip_transitions_total", "counter",
		    "Local state transitions of the VIP since the daemon started.");
	for (size_t i = 0; i < n; i++) {
		const struct cv_ipc_transition *t = cv_status_transition_of(r, i);

		cv_strbuf_printf(b, "corovip_vip_transitions_total{vip=\"%s\"} %" PRIu64 "\n",
				 cfg->vips[i].head.name, t ? t->count : 0);
	}
}

static void
metrics_cluster(struct cv_strbuf *b, const struct cv_engine *e)
{
	metric_head(b, "corovip_quorate", "gauge", "1 if this node's adopted view is quorate.");
	cv_strbuf_printf(b, "corovip_quorate %d\n", cv_engine_quorate(e));
	metric_head(b, "corovip_lease_seconds", "gauge", "The holder's lease in use.");
	cv_strbuf_printf(b, "corovip_lease_seconds %.3f\n", cv_engine_lease_ms(e) / 1000.0);
	metric_head(b, "corovip_guard_seconds", "gauge", "The guard time in use before a takeover.");
	cv_strbuf_printf(b, "corovip_guard_seconds %.3f\n", cv_engine_guard_ms(e) / 1000.0);
}

static void
metrics_cpg(struct cv_strbuf *b, const struct cv_cpg_stats *c)
{
	metric_head(b, "corovip_cpg_messages_delivered_total", "counter",
		    "Group messages delivered to this daemon.");
	cv_strbuf_printf(b, "corovip_cpg_messages_delivered_total %" PRIu64 "\n", c->delivered);
	metric_head(b, "corovip_cpg_messages_rejected_total", "counter",
		    "Group messages dropped as undecodable.");
	cv_strbuf_printf(b, "corovip_cpg_messages_rejected_total{reason=\"version\"} %" PRIu64 "\n",
			 c->bad_version);
	cv_strbuf_printf(b, "corovip_cpg_messages_rejected_total{reason=\"malformed\"} %" PRIu64 "\n",
			 c->bad_message);
	metric_head(b, "corovip_cpg_send_retries_total", "counter",
		    "Sends that corosync asked to retry later.");
	cv_strbuf_printf(b, "corovip_cpg_send_retries_total %" PRIu64 "\n", c->send_retries);
}

static void
metrics_counters(struct cv_strbuf *b, const struct cv_ipc_counters *c)
{
	uint64_t n = 0;

	metric_head(b, "corovip_transitions_total", "counter",
		    "Local state transitions of all VIPs, by reason.");
	for (int k = 0; k < _CV_REASON_MAX; k++)
		cv_strbuf_printf(b, "corovip_transitions_total{reason=\"%s\"} %" PRIu64 "\n",
				 cv_reason_to_string((enum cv_reason)k), c->transitions[k]);
	metric_head(b, "corovip_failover_seconds", "histogram",
		    "From corosync's report of a lost member to a VIP taken here (each VIP taken "
		    "within a minute of it).");
	for (size_t k = 0; k < CV_FAILOVER_BUCKETS; k++) {
		n += c->failover_counts[k];
		cv_strbuf_printf(b, "corovip_failover_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
				 cv_failover_bucket_s[k], n);
	}
	n += c->failover_counts[CV_FAILOVER_BUCKETS];
	cv_strbuf_printf(b, "corovip_failover_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", n);
	cv_strbuf_printf(b, "corovip_failover_seconds_sum %.3f\n", c->failover_sum_s);
	cv_strbuf_printf(b, "corovip_failover_seconds_count %" PRIu64 "\n", n);
	metric_head(b, "corovip_address_conflicts_total", "counter",
		    "Another host claimed an address this node holds (ARP or NA).");
	cv_strbuf_printf(b, "corovip_address_conflicts_total %" PRIu64 "\n", c->conflicts);
	metric_head(b, "corovip_reaper_restarts_total", "counter",
		    "This daemon's reaper died and a new one was started.");
	cv_strbuf_printf(b, "corovip_reaper_restarts_total %" PRIu64 "\n", c->reaper_restarts);
}

static void
metrics_checks(struct cv_strbuf *b, const struct cv_ipc_report *r)
{
	metric_head(b, "corovip_check_passing", "gauge",
		    "1 if this node's health check passes (after rise and fall).");
	for (size_t i = 0; i < r->n_checks; i++)
		cv_strbuf_printf(b, "corovip_check_passing{check=\"%s\"} %d\n", r->checks[i].name,
				 r->checks[i].passing);
	metric_head(b, "corovip_check_runs_total", "counter", "Runs of this node's health check.");
	for (size_t i = 0; i < r->n_checks; i++)
		cv_strbuf_printf(b, "corovip_check_runs_total{check=\"%s\"} %" PRIu64 "\n",
				 r->checks[i].name, r->checks[i].runs);
}

int
cv_ipc_status_metrics(const struct cv_ipc_report *r, char **ret)
{
	_cleanup_(cv_strbuf_done) struct cv_strbuf b = {};

	metric_head(&b, "corovip_build_info", "gauge", "Always 1; the version in its label.");
	cv_strbuf_printf(&b, "corovip_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	metric_head(&b, "corovip_up", "gauge", "1 if the daemon is connected to corosync.");
	cv_strbuf_printf(&b, "corovip_up %d\n", r->engine != NULL);
	if (r->engine) {
		metrics_cluster(&b, r->engine);
		metrics_vips(&b, r);
	}
	if (r->cpg)
		metrics_cpg(&b, r->cpg);
	if (r->n_checks)
		metrics_checks(&b, r);
	if (r->counters)
		metrics_counters(&b, r->counters);
	return cv_strbuf_steal(&b, ret);
}
