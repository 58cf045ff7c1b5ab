/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "aws-xml.h"
#include "cv-macros.h"

/* The largest answer we read (a DescribeRouteTables of a big VPC stays far below). */
#define BODY_MAX (4 * 1024 * 1024)

static void
free_doc(xmlDocPtr *d)
{
	if (*d)
		xmlFreeDoc(*d);
}

/*
 * No network, no entity substitution, no DTD loading, no error printing: a
 * body is data, however hostile. NULL if it is no XML.
 */
static xmlDocPtr
read_doc(const char *body, size_t len)
{
	if (!body || len == 0 || len > BODY_MAX)
		return NULL;
	return xmlReadMemory(body, (int)len, "ec2.xml", NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
				     XML_PARSE_NOCDATA);
}

static bool
named(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* The first child element of n named name (local name: namespaces ignored). */
static xmlNodePtr
child(const xmlNode *n, const char *name)
{
	for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
		if (named(c, name))
			return c;
	return NULL;
}

/* The first element named name at or below n, depth first. */
static xmlNodePtr
find(xmlNodePtr n, const char *name)
{
	for (; n; n = n->next) {
		xmlNodePtr f;

		if (named(n, name))
			return n;
		if (n->type == XML_ELEMENT_NODE && (f = find(n->children, name)))
			return f;
	}
	return NULL;
}

/* c's text into out; -EBADMSG when it does not fit: a cut ID compared equal could be another's. */
static int
copy_text(xmlNodePtr c, char *out, size_t size)
{
	xmlChar *t = xmlNodeGetContent(c);
	size_t len;

	if (!t)
		return -ENOMEM;
	len = strlen((const char *)t);
	if (len >= size) {
		xmlFree(t);
		return -EBADMSG;
	}
	memcpy(out, t, len + 1);
	xmlFree(t);
	return 0;
}

/* The text of n's child name into out ("" if there is none). */
static int
text_of(const xmlNode *n, const char *name, char *out, size_t size)
{
	xmlNodePtr c = child(n, name);

	out[0] = '\0';
	return c ? copy_text(c, out, size) : 0;
}

/* Each <item> of n's child set: calls fn until it returns non-zero (returned). */
static int
each_item(const xmlNode *n, const char *set, int (*fn)(xmlNodePtr item, void *ud), void *ud)
{
	xmlNodePtr s = child(n, set);

	for (xmlNodePtr i = s ? s->children : NULL; i; i = i->next) {
		int r = named(i, "item") ? fn(i, ud) : 0;

		if (r)
			return r;
	}
	return 0;
}

static int
add_tag(xmlNodePtr item, void *ud)
{
	struct cv_aws_tags *tags = ud;
	struct cv_aws_tag *t;
	int r;

	if (tags->n == CV_AWS_TAGS_MAX)
		return -EBADMSG;
	t = &tags->v[tags->n];
	r = text_of(item, "key", t->key, sizeof(t->key));
	if (r == 0)
		r = text_of(item, "value", t->value, sizeof(t->value));
	tags->n += r == 0;
	return r;
}

static int
read_tags(const xmlNode *n, struct cv_aws_tags *tags)
{
	tags->n = 0;
	return each_item(n, "tagSet", add_tag, tags);
}

const char *
cv_aws_tag(const struct cv_aws_tags *tags, const char *key)
{
	for (size_t k = 0; k < tags->n; k++)
		if (strcmp(tags->v[k].key, key) == 0)
			return tags->v[k].value;
	return NULL;
}

int
cv_aws_parse_error(const char *body, size_t len, struct cv_aws_error *ret)
{
	_cleanup_(free_doc) xmlDocPtr d = read_doc(body, len);
	xmlNodePtr root = d ? xmlDocGetRootElement(d) : NULL, e;
	int r;

	if (!root)
		return -EBADMSG;
	e = child(child(root, "Errors"), "Error");
	if (!named(root, "Response") || !e)
		return 0;
	*ret = (struct cv_aws_error){};
	r = text_of(e, "Code", ret->code, sizeof(ret->code));
	if (r == 0)
		r = text_of(e, "Message", ret->message, sizeof(ret->message));
	if (r == 0)
		r = text_of(root, "RequestID", ret->request_id, sizeof(ret->request_id));
	return r < 0 ? r : 1;
}

static bool
in_list(const char *code, const char *const *list)
{
	for (size_t k = 0; list[k]; k++)
		if (strcmp(code, list[k]) == 0)
			return true;
	return false;
}

enum cv_aws_retry
cv_aws_retry_class(const char *code, long status)
{
	static const char *const throttled[] = {
		"Throttling", "ThrottlingException", "ThrottledException",
		"RequestThrottledException", "TooManyRequestsException",
		"ProvisionedThroughputExceededException", "TransactionInProgressException",
		"RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException",
		"RequestThrottled", "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
		NULL,
	};
	static const char *const transient[] = { "RequestTimeout", "RequestTimeoutException",
						  "InternalError", "Unavailable", NULL };
	static const char *const credentials[] = { "AuthFailure", "ExpiredToken",
						   "RequestExpiredToken", "InvalidClientTokenId",
						   NULL };
	static const char *const clock[] = { "RequestExpired", "RequestTimeTooSkewed",
					     "InvalidSignatureException", NULL };

	code = code ? code : "";
	if (in_list(code, throttled) || status == 429)
		return CV_AWS_THROTTLED;
	if (in_list(code, transient) || status == 500 || status == 502 || status == 503 ||
	    status == 504 || (status == 0 && !*code))
		return CV_AWS_TRANSIENT;
	if (in_list(code, credentials))
		return CV_AWS_CREDENTIALS;
	if (in_list(code, clock))
		return CV_AWS_CLOCK;
	return CV_AWS_NO_RETRY;
}

/* ---- DescribeNetworkInterfaces ---- */

static int
add_ip(xmlNodePtr item, void *ud)
{
	struct cv_aws_eni *eni = ud;
	int r;

	if (eni->n_ips == CV_AWS_IPS_MAX)
		return -EBADMSG;
	r = text_of(item, "privateIpAddress", eni->ips[eni->n_ips], sizeof(eni->ips[0]));
	eni->n_ips += r == 0 && eni->ips[eni->n_ips][0];
	return r;
}

struct eni_search {
	const char *id;
	struct cv_aws_eni *ret;
};

static int
match_eni(xmlNodePtr item, void *ud)
{
	struct eni_search *s = ud;
	struct cv_aws_eni *eni = s->ret;
	int r;

	*eni = (struct cv_aws_eni){};
	r = text_of(item, "networkInterfaceId", eni->id, sizeof(eni->id));
	if (r < 0)
		return r;
	if (s->id && strcmp(eni->id, s->id) != 0)
		return 0;
	r = text_of(item, "subnetId", eni->subnet, sizeof(eni->subnet));
	if (r == 0)
		r = text_of(child(item, "attachment"), "instanceId", eni->instance,
			    sizeof(eni->instance));
	if (r == 0)
		r = each_item(item, "privateIpAddressesSet", add_ip, eni);
	if (r == 0)
		r = read_tags(item, &eni->tags);
	return r < 0 ? r : 1;
}

int
cv_aws_parse_eni(const char *body, size_t len, const char *id, struct cv_aws_eni *ret)
{
	_cleanup_(free_doc) xmlDocPtr d = read_doc(body, len);
	xmlNodePtr root = d ? xmlDocGetRootElement(d) : NULL;
	struct eni_search s = { id, ret };

	if (!root)
		return -EBADMSG;
	return each_item(root, "networkInterfaceSet", match_eni, &s);
}

struct eni_ids {
	char (*ids)[CV_AWS_ID_MAX];
	size_t max, n;
};

static int
add_eni_id(xmlNodePtr item, void *ud)
{
	struct eni_ids *l = ud;

	if (l->n == l->max)
		return -E2BIG;
	return text_of(item, "networkInterfaceId", l->ids[l->n++], CV_AWS_ID_MAX);
}

int
cv_aws_parse_eni_ids(const char *body, size_t len, char (*ids)[CV_AWS_ID_MAX], size_t max)
{
	_cleanup_(free_doc) xmlDocPtr d = read_doc(body, len);
	xmlNodePtr root = d ? xmlDocGetRootElement(d) : NULL;
	struct eni_ids l = { ids, max, 0 };
	int r;

	if (!root)
		return -EBADMSG;
	r = each_item(root, "networkInterfaceSet", add_eni_id, &l);
	return r < 0 ? r : (int)l.n;
}

bool
cv_aws_eni_has_ip(const struct cv_aws_eni *eni, const char *ip)
{
	for (size_t k = 0; k < eni->n_ips; k++)
		if (strcmp(eni->ips[k], ip) == 0)
			return true;
	return false;
}

/* ---- DescribeRouteTables ---- */

struct route_search {
	const char *table, *cidr;
	struct cv_aws_route *ret;
};

static int
match_route(xmlNodePtr item, void *ud)
{
	struct route_search *s = ud;
	char cidr[CV_AWS_IP_MAX], state[32];
	int r = text_of(item, "destinationCidrBlock", cidr, sizeof(cidr));

	if (r < 0 || strcmp(cidr, s->cidr) != 0)
		return r;
	r = text_of(item, "networkInterfaceId", s->ret->eni, sizeof(s->ret->eni));
	if (r == 0)
		r = text_of(item, "instanceId", s->ret->instance, sizeof(s->ret->instance));
	if (r == 0)
		r = text_of(item, "state", state, sizeof(state));
	s->ret->active = strcmp(state, "active") == 0;
	return r < 0 ? r : 1;
}

static int
match_table(xmlNodePtr item, void *ud)
{
	struct route_search *s = ud;
	char id[CV_AWS_ID_MAX];
	int r = text_of(item, "routeTableId", id, sizeof(id));

	if (r < 0 || strcmp(id, s->table) != 0)
		return r;
	*s->ret = (struct cv_aws_route){};
	memcpy(s->ret->table, id, sizeof(id));
	r = read_tags(item, &s->ret->tags);
	return r < 0 ? r : each_item(item, "routeSet", match_route, s);
}

int
cv_aws_parse_route(const char *body, size_t len, const char *table, const char *cidr,
		   struct cv_aws_route *ret)
{
	_cleanup_(free_doc) xmlDocPtr d = read_doc(body, len);
	xmlNodePtr root = d ? xmlDocGetRootElement(d) : NULL;
	struct route_search s = { table, cidr, ret };

	if (!root)
		return -EBADMSG;
	return each_item(root, "routeTableSet", match_table, &s);
}

/* ---- DescribeAddresses ---- */

struct address_search {
	const char *allocation;
	struct cv_aws_address *ret;
};

static int
match_address(xmlNodePtr item, void *ud)
{
	struct address_search *s = ud;
	struct cv_aws_address *a = s->ret;
	int r;

	*a = (struct cv_aws_address){};
	r = text_of(item, "allocationId", a->allocation, sizeof(a->allocation));
	if (r < 0 || strcmp(a->allocation, s->allocation) != 0)
		return r;
	r = text_of(item, "associationId", a->association, sizeof(a->association));
	if (r == 0)
		r = text_of(item, "networkInterfaceId", a->eni, sizeof(a->eni));
	if (r == 0)
		r = text_of(item, "privateIpAddress", a->private_ip, sizeof(a->private_ip));
	if (r == 0)
		r = text_of(item, "publicIp", a->public_ip, sizeof(a->public_ip));
	if (r == 0)
		r = read_tags(item, &a->tags);
	return r < 0 ? r : 1;
}

int
cv_aws_parse_address(const char *body, size_t len, const char *allocation,
		     struct cv_aws_address *ret)
{
	_cleanup_(free_doc) xmlDocPtr d = read_doc(body, len);
	xmlNodePtr root = d ? xmlDocGetRootElement(d) : NULL;
	struct address_search s = { allocation, ret };

	if (!root)
		return -EBADMSG;
	return each_item(root, "addressesSet", match_address, &s);
}

int
cv_aws_parse_value(const char *body, size_t len, const char *name, char *out, size_t size)
{
	_cleanup_(free_doc) xmlDocPtr d = read_doc(body, len);
	xmlNodePtr root = d ? xmlDocGetRootElement(d) : NULL, n;
	int r;

	if (!root)
		return -EBADMSG;
	n = find(root, name);
	if (!n)
		return 0;
	r = copy_text(n, out, size);
	return r < 0 ? r : 1;
}
