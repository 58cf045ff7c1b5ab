/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AWS backend's EC2 clients, one per cloud section (retired at a
 * reload, freed once idle), and what status shows of each VIP: what the last
 * read saw, the last failure, and the stamp of our last move (a renewal
 * checks against it). aws-backend-int.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws-backend-int.h"
#include "cv-macros.h"

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- clients ---- */

void
cv_awsb_client_free(struct awsb *b, struct client *cl)
{
	for (struct client **q = &b->clients; *q; q = &(*q)->next)
		if (*q == cl) {
			*q = cl->next;
			break;
		}
	cv_aws_client_free(cl->c);
	free(cl);
}

static struct client *
client_find(struct awsb *b, const char *name, bool retired)
{
	for (struct client *cl = b->clients; cl; cl = cl->next)
		if (cl->retired == retired && strcmp(cl->name, name) == 0)
			return cl;
	return NULL;
}

/*
 * The client of v's cloud section (made now if need be), taken: busy. A
 * reload's orphan (cloud_conf NULL: its section may be gone) takes what
 * there is of that name.
 */
struct client *
cv_awsb_client_take(struct awsb *b, const struct cv_vip_conf *v)
{
	const struct cv_cloud_conf *k = v->cloud_conf;
	struct client *cl = client_find(b, k ? k->head.name : v->cloud, false);

	if (!cl && !k)
		cl = client_find(b, v->cloud, true);
	/* an orphan's retry after its reload's clients went: the running
	 * config's section of that name, if it has one */
	if (!cl && !k && v->cloud && b->cfg) {
		k = cv_config_find_cloud(b->cfg, v->cloud);
		k = k && k->type == CV_CLOUD_AWS ? k : NULL;
	}
	if (cl || !k)
		goto taken;
	cl = calloc(1, sizeof(*cl));
	if (!cl)
		return NULL;
	snprintf(cl->name, sizeof(cl->name), "%s", k->head.name);
	if (cv_aws_client_new(b->env.loop, b->http,
			      &(struct cv_aws_params){
				      .endpoint = k->endpoint,
				      .region = k->region,
				      .from_env = true,
				      .credentials_file = k->credentials_file,
				      .profile = k->profile,
				      .imds = k->imds,
				      .deadline_ms = k->op_timeout_ms,
				      .attempt_timeout_ms = k->call_timeout_ms,
				      .ca_file = k->ca_file,
				      .verify_tls = k->tls_verify,
				      .proxy = k->proxy ? k->proxy : "",
			      },
			      &cl->c) < 0) {
		free(cl);
		return NULL;
	}
	cl->next = b->clients;
	b->clients = cl;
taken:
	if (cl)
		cl->busy++;
	return cl;
}

void
cv_awsb_client_put(struct awsb *b, struct client *cl)
{
	if (--cl->busy == 0 && cl->retired)
		cv_awsb_client_free(b, cl);
}

/* ---- what status shows ---- */

struct seen *
cv_awsb_seen_find(struct awsb *b, const char *name)
{
	for (struct seen *s = b->seen; s; s = s->next)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static struct seen *
seen_of(struct awsb *b, const char *name)
{
	struct seen *s = cv_awsb_seen_find(b, name);

	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->next = b->seen;
	b->seen = s;
	return s;
}

const char *
cv_awsb_resource_of(const struct pending *p)
{
	return p->mode == CV_CLOUD_ELASTIC_IP ? p->address
	       : p->mode == CV_CLOUD_ROUTE    ? p->route_table
					      : p->eni;
}

void
cv_awsb_note(struct pending *p, int err, const char *why, const struct cv_aws_seen *seen)
{
	struct seen *s = seen_of(p->b, p->name);
	struct cv_backend_status *st = s ? &s->st : NULL;

	if (!st)
		return;
	if (p->op == CV_ACT_ADDR_ADD && err == 0)
		s->moved = p->stamp;
	snprintf(st->resource, sizeof(st->resource), "%s", cv_awsb_resource_of(p));
	if (seen) {
		snprintf(st->where, sizeof(st->where), "%s",
			 strcmp(seen->where, "-") == 0 ? "" : seen->where);
		st->ring = seen->stamp.ring;
		st->epoch = seen->stamp.epoch;
		st->node = seen->stamp.node;
		st->read_at_ms = wall_ms();
	}
	if (err < 0 && err != -EADDRNOTAVAIL) {
		snprintf(st->error, sizeof(st->error), "%s of %s: %s", cv_action_type_to_string(p->op),
			 cv_awsb_resource_of(p), why);
		st->error_at_ms = wall_ms();
	} else if (err == 0 && !p->quiet) {
		st->error[0] = '\0';
	}
}

bool
cv_awsb_status(struct cv_backend *base, const struct cv_vip_conf *v, struct cv_backend_status *ret)
{
	const struct seen *s = cv_awsb_seen_find(awsb_of(base), v->head.name);

	if (s && (s->st.read_at_ms || s->st.error_at_ms))
		*ret = s->st;
	return s && (s->st.read_at_ms || s->st.error_at_ms);
}
