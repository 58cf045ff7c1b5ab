/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The AWS backend's reading of IMDSv2 (aws-backend-int.h): a cloud section
 * with imds and no region, or a VIP with no eni, leaves them to the
 * instance: its region (placement/region) and its primary ENI (the ENI of
 * its mac). Read once per client, when an operation first needs it; the
 * operations that wait go on (or fail) when it is done.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qb/qblog.h>

#include "aws-backend-int.h"
#include "cv-error.h"

/* Every operation that waited for the reading that ended: on, or failed. */
static void
discovered(struct client *cl, struct awsb *b, unsigned reading, int err, const char *why)
{
	struct pending *p;

	cl->discovery = reading + 1;
	if (err < 0)
		qb_log(LOG_ERR, "cloud '%s': reading IMDS failed: %s", cl->name, why);
	for (;;) {
		for (p = b->ops; p && !(p->cl == cl && p->waiting == reading); p = p->next)
			;
		if (!p)
			return;
		p->waiting = 0;
		if (err < 0)
			cv_awsb_finish(p, err, why);
		else
			cv_awsb_proceed(p);
	}
}

/* What IMDS answered: one line of [A-Za-z0-9-] (a region, a MAC's parts, an ENI id). */
static int
imds_word(const struct cv_aws_answer *a, char *out, size_t size)
{
	size_t n;

	if (a->err < 0)
		return a->err;
	n = a->body ? strcspn(a->body, "\r\n") : 0;
	if (n == 0 || n >= size ||
	    n != strspn(a->body, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"))
		return -EBADMSG;
	memcpy(out, a->body, n);
	out[n] = '\0';
	return 0;
}


static void read_eni(struct reading *rd);

static void
reading_done(struct reading *rd, int err, const char *why)
{
	struct client *cl = rd->cl;
	struct awsb *b = rd->b;
	unsigned id = rd->id;

	cl->reading = NULL;
	free(rd);
	discovered(cl, b, id, err, why);
	cv_awsb_client_put(b, cl); /* the reading's hold */
}

static void
on_eni(void *userdata, const struct cv_aws_answer *a)
{
	struct reading *rd = userdata;
	int r = imds_word(a, rd->cl->eni, sizeof(rd->cl->eni));

	if (r < 0)
		return reading_done(rd, r, a->err < 0 ? a->why : "IMDS's interface-id is no ENI id");
	qb_log(LOG_INFO, "cloud '%s': this instance's ENI is %s (IMDS)", rd->cl->name, rd->cl->eni);
	reading_done(rd, 0, NULL);
}

static void
on_mac(void *userdata, const struct cv_aws_answer *a)
{
	struct reading *rd = userdata;
	char mac[32], path[128];
	size_t n = a->err >= 0 && a->body ? strcspn(a->body, "\r\n") : 0;
	int r;

	if (a->err < 0)
		return reading_done(rd, a->err, a->why);
	if (n != 17 || strspn(a->body, "0123456789abcdef:") != 17)
		return reading_done(rd, -EBADMSG, "IMDS's mac is no MAC address");
	memcpy(mac, a->body, n);
	mac[n] = '\0';
	snprintf(path, sizeof(path), "/latest/meta-data/network/interfaces/macs/%s/interface-id", mac);
	r = cv_aws_imds_get(rd->cl->c, path, on_eni, rd);
	if (r < 0)
		reading_done(rd, r, cv_strerror(r));
}

static void
read_eni(struct reading *rd)
{
	int r;

	if (rd->cl->eni[0])
		return reading_done(rd, 0, NULL);
	r = cv_aws_imds_get(rd->cl->c, "/latest/meta-data/mac", on_mac, rd);
	if (r < 0)
		reading_done(rd, r, cv_strerror(r));
}

static void
on_region(void *userdata, const struct cv_aws_answer *a)
{
	struct reading *rd = userdata;
	char region[64];
	int r = imds_word(a, region, sizeof(region));

	if (r < 0)
		return reading_done(rd, r, a->err < 0 ? a->why : "IMDS's placement/region is no region");
	r = cv_aws_client_set_region(rd->cl->c, region);
	if (r < 0)
		return reading_done(rd, r, cv_strerror(r));
	qb_log(LOG_INFO, "cloud '%s': region %s (IMDS)", rd->cl->name, region);
	read_eni(rd);
}

/* p waits for its client's reading of IMDS (one at a time per client). */
void
cv_awsb_wait_for_imds(struct pending *p)
{
	struct client *cl = p->cl;
	struct reading *rd;
	int r;

	if (cl->discovery & 1) { /* under way */
		p->waiting = cl->discovery;
		return;
	}
	rd = calloc(1, sizeof(*rd));
	if (!rd)
		return cv_awsb_finish(p, -ENOMEM, "no memory to read IMDS");
	*rd = (struct reading){ .cl = cl, .b = p->b, .id = ++cl->discovery };
	cl->reading = rd;
	p->waiting = rd->id;
	cl->busy++; /* the reading's own hold, until it is done */
	r = cv_aws_client_has_region(cl->c)
		    ? 0
		    : cv_aws_imds_get(cl->c, "/latest/meta-data/placement/region", on_region, rd);
	if (r == 0 && cv_aws_client_has_region(cl->c))
		read_eni(rd);
	else if (r < 0)
		reading_done(rd, r, cv_strerror(r));
}
