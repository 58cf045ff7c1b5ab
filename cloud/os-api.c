/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Keystone's token answer (os-api.h, cloud-api-brief.md §1.2-1.3): its
 * expiry, and the network endpoint picked from the catalog the way
 * gophercloud's V3EndpointURL does it: type "network", the interface asked
 * for, the region matching "region" or "region_id" when one is given.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "os-api.h"
#include "os-int.h"

#define OPT_NULL_FLAGS (CV_JSON_OPTIONAL | CV_JSON_NULLABLE)

/* Fixed-width digits; -1 if any is not a digit. */
static int
digits(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* ".123456": the milliseconds of a fraction of any length; *end after it. */
static int
fraction_ms(const char *s, const char **end)
{
	int ms = 0, n = 0;

	if (*s != '.') {
		*end = s;
		return 0;
	}
	for (s++; *s >= '0' && *s <= '9'; s++, n++)
		if (n < 3)
			ms = ms * 10 + (*s - '0');
	if (n == 0)
		return -1;
	for (; n < 3; n++)
		ms *= 10;
	*end = s;
	return ms;
}

int
cv_os_parse_time(const char *s, int64_t *ret_ms)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, sec, ms;
	const char *rest;

	if (!s || strnlen(s, 20) < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':')
		return -EINVAL;
	y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    sec < 0 || sec > 59)
		return -EINVAL;
	if (d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return -EINVAL;
	ms = fraction_ms(s + 19, &rest);
	if (ms < 0)
		return -EINVAL;
	/* UTC only: what Keystone writes. */
	if (strcmp(rest, "Z") != 0 && strcmp(rest, "+00:00") != 0)
		return -EINVAL;
	*ret_ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + sec * 1000 + ms;
	return 0;
}

/* Catalog URL -> Neutron's v2.0 base: no trailing '/', "/v2.0" once. */
static int
neutron_base(const char *url, char *buf, size_t size, char *err, size_t errlen)
{
	size_t len = strlen(url);
	bool versioned;

	if (strncasecmp(url, "https://", 8) != 0 && strncasecmp(url, "http://", 7) != 0) {
		cv_os_errf(err, errlen, "catalog: network endpoint url: not http(s)");
		return -EBADMSG;
	}
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) {
			cv_os_errf(err, errlen, "catalog: network endpoint url: not printable");
			return -EBADMSG;
		}
	while (len > 0 && url[len - 1] == '/')
		len--;
	versioned = len >= 5 && strncmp(url + len - 5, "/v2.0", 5) == 0;
	if (snprintf(buf, size, "%.*s%s", (int)len, url, versioned ? "" : "/v2.0") >= (int)size) {
		cv_os_errf(err, errlen, "catalog: network endpoint url: longer than %zu", size - 1);
		return -EBADMSG;
	}
	return 0;
}

struct pick {
	const char *interface, *region;
	char url[CV_OS_URL_MAX + 1]; /* the first match */
	size_t matches;
};

static int
endpoint(struct json_object *ep, const char *path, struct pick *p, char *err, size_t errlen)
{
	char iface[32], region[256] = "", region_id[256] = "", url[CV_OS_URL_MAX + 1];
	int r;

	r = cv_json_get_string(ep, path, "interface", 0, iface, sizeof(iface), err, errlen);
	if (r >= 0)
		r = cv_json_get_string(ep, path, "url", 0, url, sizeof(url), err, errlen);
	if (r >= 0)
		r = cv_json_get_string(ep, path, "region", CV_JSON_OPTIONAL | CV_JSON_NULLABLE,
				       region, sizeof(region), err, errlen);
	if (r >= 0)
		r = cv_json_get_string(ep, path, "region_id", CV_JSON_OPTIONAL | CV_JSON_NULLABLE,
				       region_id, sizeof(region_id), err, errlen);
	if (r < 0)
		return r;
	if (strcmp(iface, p->interface) != 0)
		return 0;
	if (p->region && strcmp(region, p->region) != 0 && strcmp(region_id, p->region) != 0)
		return 0;
	if (p->matches++ == 0)
		memcpy(p->url, url, sizeof(url));
	return 0;
}

/* One catalog entry: every field read is checked, the network ones searched. */
static int
service(struct json_object *svc, const char *path, struct pick *p, char *err, size_t errlen)
{
	struct json_object *eps;
	char type[64];
	int r;

	r = cv_json_get_string(svc, path, "type", 0, type, sizeof(type), err, errlen);
	if (r < 0 || strcmp(type, "network") != 0)
		return r;
	r = cv_json_get_array(svc, path, "endpoints", 0, &eps, err, errlen);
	for (size_t i = 0; r >= 0 && i < json_object_array_length(eps); i++) {
		char sub[96];

		snprintf(sub, sizeof(sub), "%s.endpoints[%zu]", path, i);
		r = endpoint(json_object_array_get_idx(eps, i), sub, p, err, errlen);
	}
	return r;
}

static int
catalog(struct json_object *token, struct pick *p, char *err, size_t errlen)
{
	struct json_object *cat;
	int r = cv_json_get_array(token, "token", "catalog", CV_JSON_OPTIONAL, &cat, err, errlen);

	if (r < 0)
		return r;
	if (!cat) {
		cv_os_errf(err, errlen, "token: no catalog");
		return -ENOENT;
	}
	for (size_t i = 0; i < json_object_array_length(cat); i++) {
		char path[48];

		snprintf(path, sizeof(path), "token.catalog[%zu]", i);
		r = service(json_object_array_get_idx(cat, i), path, p, err, errlen);
		if (r < 0)
			return r;
	}
	if (p->matches == 0) {
		cv_os_errf(err, errlen, "catalog: no network endpoint for interface %s%s%.64s",
			   p->interface, p->region ? " in region " : "",
			   p->region ? p->region : "");
		return -ENOENT;
	}
	return 0;
}

int
cv_os_parse_token(const char *body, size_t len, enum cv_os_interface interface, const char *region,
		  struct cv_os_token_info *ret, bool *ret_ambiguous, char *err, size_t errlen)
{
	_cleanup_json_ struct json_object *root = NULL;
	struct json_object *token;
	struct pick p = { .interface = cv_os_interface_to_string(interface), .region = region };
	struct cv_os_token_info info = {};
	char expires[64];
	int r;

	if (!p.interface)
		return -EINVAL;
	if (p.region && !*p.region)
		p.region = NULL;
	r = cv_json_parse(body, len, &root, err, errlen);
	if (r >= 0)
		r = cv_json_get_object(root, "body", "token", 0, &token, err, errlen);
	if (r >= 0)
		r = cv_json_get_string(token, "token", "expires_at", 0, expires, sizeof(expires),
				       err, errlen);
	if (r < 0)
		return r;
	if (cv_os_parse_time(expires, &info.expires_at_ms) < 0) {
		cv_os_errf(err, errlen, "token.expires_at: not an ISO-8601 UTC time");
		return -EBADMSG;
	}
	r = catalog(token, &p, err, errlen);
	if (r == -ENOENT)
		ret->expires_at_ms = info.expires_at_ms; /* an endpoint override needs no catalog */
	if (r >= 0)
		r = neutron_base(p.url, info.neutron_url, sizeof(info.neutron_url), err, errlen);
	if (r < 0)
		return r;
	*ret = info;
	if (ret_ambiguous)
		*ret_ambiguous = p.matches > 1;
	return 0;
}

/* Printable ASCII of s[0..len) into buf, runs of anything else as one space. */
static void
printable(const char *s, size_t len, char *buf, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= ' ' && c < 0x7f)
			buf[o++] = (char)c;
		else if (o > 0 && buf[o - 1] != ' ')
			buf[o++] = ' ';
	}
	while (o > 0 && buf[o - 1] == ' ')
		o--;
	buf[o] = '\0';
}

/* "TYPE: message" of {"NeutronError": {...}} or {"error": {"title", "message"}}. */
static bool
json_error(const char *body, size_t len, char *buf, size_t size)
{
	static const char *const shapes[][3] = {
		{ "NeutronError", "type", "message" },
		{ "error", "title", "message" },
	};
	_cleanup_json_ struct json_object *root = NULL;

	if (cv_json_parse(body, len, &root, NULL, 0) < 0)
		return false;
	for (size_t i = 0; i < ELEMENTSOF(shapes); i++) {
		struct json_object *e;
		char type[128] = "", msg[512] = "", text[660];

		if (cv_json_get_object(root, "", shapes[i][0], 0, &e, NULL, 0) < 0)
			continue;
		/* Either may be missing, or too long: what there is is still the answer. */
		cv_json_get_string(e, "", shapes[i][1], OPT_NULL_FLAGS, type, sizeof(type), NULL,
				   0);
		cv_json_get_string(e, "", shapes[i][2], OPT_NULL_FLAGS, msg, sizeof(msg), NULL, 0);
		if (!*type && !*msg)
			continue;
		snprintf(text, sizeof(text), "%s%s%s", type, *type && *msg ? ": " : "", msg);
		printable(text, strlen(text), buf, size);
		return true;
	}
	return false;
}

/* An HTML page's <title> ("502 Bad Gateway"). */
static bool
html_title(const char *body, size_t len, char *buf, size_t size)
{
	const char *end = body + len, *t = NULL, *e;

	for (const char *p = body; p + 7 <= end; p++)
		if (strncasecmp(p, "<title>", 7) == 0) {
			t = p + 7;
			break;
		}
	if (!t)
		return false;
	for (e = t; e + 8 <= end && strncasecmp(e, "</title>", 8) != 0; e++)
		;
	if (e + 8 > end)
		return false;
	printable(t, (size_t)(e - t), buf, size);
	return *buf != '\0';
}

const char *
cv_os_error_text(const char *body, size_t len, char *buf, size_t buflen)
{
	const char *p = body, *end = body ? body + len : NULL, *nl;

	if (!buf || buflen == 0)
		return buf;
	buf[0] = '\0';
	if (body && (json_error(body, len, buf, buflen) || html_title(body, len, buf, buflen)))
		return buf;
	/* Anything else: its first non-blank line, cut. */
	while (p && p < end && strchr(" \t\r\n", *p))
		p++;
	if (p && p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		printable(p, (size_t)((nl ? nl : end) - p), buf, buflen);
	}
	if (!*buf)
		snprintf(buf, buflen, "(empty body)");
	return buf;
}
