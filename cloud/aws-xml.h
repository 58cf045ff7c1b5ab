/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * EC2's answers (the Query API's XML, ../shared/cloud-api-brief.md §2.1-2.2)
 * read with libxml2: errors (<Response><Errors><Error><Code>), and what the
 * backend compares exactly (an ENI's private IPs, a route's target, an
 * Elastic IP's association, and the tags beside each: the epoch of the last
 * move, written by its mover and read back to tell a stale mover). Element
 * names are matched by local name (the namespace is ignored, as botocore
 * does); values are copied into bounded fields, and a value too long for its
 * field makes the answer malformed rather than cut (an ID compared after a
 * cut could match another). No network access, no entities, no DTD: a
 * body is data. Pure: text in, structs out (tests/unit/test-aws-xml.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define CV_AWS_ID_MAX 64    /* eni-..., rtb-..., eipalloc-..., i-... */
#define CV_AWS_IP_MAX 64    /* an address or a CIDR, as text */
#define CV_AWS_TAGS_MAX 50  /* EC2's limit per resource */
#define CV_AWS_IPS_MAX 64   /* private IPs of one ENI (EC2: 50 at most) */

struct cv_aws_error {
	char code[64];	    /* e.g. RequestLimitExceeded */
	char message[256];
	char request_id[64];
};

struct cv_aws_tag {
	char key[128];
	char value[256];
};

struct cv_aws_tags {
	struct cv_aws_tag v[CV_AWS_TAGS_MAX];
	size_t n;
};

/* One ENI of DescribeNetworkInterfaces. */
struct cv_aws_eni {
	char id[CV_AWS_ID_MAX];
	char instance[CV_AWS_ID_MAX]; /* attachment/instanceId, "" if none */
	char subnet[CV_AWS_ID_MAX];
	char ips[CV_AWS_IPS_MAX][CV_AWS_IP_MAX]; /* privateIpAddressesSet, primary first as listed */
	size_t n_ips;
	struct cv_aws_tags tags;
};

/* The route to one destination in one table (DescribeRouteTables). */
struct cv_aws_route {
	char table[CV_AWS_ID_MAX];
	char eni[CV_AWS_ID_MAX];      /* networkInterfaceId, "" if another target */
	char instance[CV_AWS_ID_MAX];
	bool active;		      /* state active (blackhole: not owned) */
	struct cv_aws_tags tags;      /* the table's */
};

/* One Elastic IP of DescribeAddresses. */
struct cv_aws_address {
	char allocation[CV_AWS_ID_MAX];
	char association[CV_AWS_ID_MAX]; /* "" if not associated */
	char eni[CV_AWS_ID_MAX];
	char private_ip[CV_AWS_IP_MAX];
	char public_ip[CV_AWS_IP_MAX];
	struct cv_aws_tags tags;
};

/*
 * An error answer: 1 and *ret filled, 0 when body is XML but no error
 * answer, -EBADMSG when it is no XML (or a field is too long).
 */
int cv_aws_parse_error(const char *body, size_t len, struct cv_aws_error *ret);

/* How a failed call is retried (brief §2.1: botocore's classes). */
enum cv_aws_retry {
	CV_AWS_NO_RETRY,    /* a request or permission error: retrying will not help */
	CV_AWS_THROTTLED,   /* back off (base 1 s) and retry */
	CV_AWS_TRANSIENT,   /* 5xx, a timeout: retry soon (base 50 ms) */
	CV_AWS_CREDENTIALS, /* AuthFailure, expired token: new credentials, then once more */
	CV_AWS_CLOCK,	    /* RequestExpired, SignatureDoesNotMatch for skew: say so, no retry */
};
/* code: the error's code ("" or NULL if none came); status: the HTTP status (0: none). */
enum cv_aws_retry cv_aws_retry_class(const char *code, long status);

/* DescribeNetworkInterfaces: the ENI with id (or the first if id is NULL): 1 found, 0 not, -EBADMSG. */
int cv_aws_parse_eni(const char *body, size_t len, const char *id, struct cv_aws_eni *ret);
/*
 * DescribeNetworkInterfaces: the ids of the ENIs listed, in ids[0..max):
 * how many, -E2BIG if more than max, -EBADMSG.
 */
int cv_aws_parse_eni_ids(const char *body, size_t len, char (*ids)[CV_AWS_ID_MAX], size_t max);
/* Does eni list ip among its private IPs (exact text)? */
bool cv_aws_eni_has_ip(const struct cv_aws_eni *eni, const char *ip);

/* DescribeRouteTables: the route to cidr (exact) in table: 1 found, 0 not, -EBADMSG. */
int cv_aws_parse_route(const char *body, size_t len, const char *table, const char *cidr,
		       struct cv_aws_route *ret);

/* DescribeAddresses: the address with allocation id: 1 found, 0 not, -EBADMSG. */
int cv_aws_parse_address(const char *body, size_t len, const char *allocation,
			 struct cv_aws_address *ret);

/*
 * The text of the first element named name anywhere (a mutation's <return>
 * or <associationId>): 1 found (copied into out), 0 not, -EBADMSG.
 */
int cv_aws_parse_value(const char *body, size_t len, const char *name, char *out, size_t size);

/* A tag's value, or NULL. */
const char *cv_aws_tag(const struct cv_aws_tags *tags, const char *key);
