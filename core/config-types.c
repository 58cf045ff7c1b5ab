/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Value types of the config schema: parse (with a message naming the value),
 * canonical format, equality and release. Ranges and defaults come from the
 * key's table entry, never from code here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config-schema.h"
#include "cv-macros.h"
#include "name.h"

#define CV_VALUE_MAX 1024 /* longest free-text value (URL, command) */

const char *
cv_conf_quote(const char *text, char *buf, size_t len)
{
	size_t n = strlen(text);

	if (n + 1 <= len || len < 8)
		snprintf(buf, len, "%s", text);
	else
		snprintf(buf, len, "%.*s...", (int)(len - 4), text);
	return buf;
}

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)
#define Q(text) cv_conf_quote(text, (char[72]){}, 72)

/* ---- strings ---- */

/* Shared by section names and list entries; name.c has the one definition. */
static int
check_name(const char *s, size_t max, char *err, size_t errlen)
{
	size_t n = strlen(s);

	if (n == 0)
		return ERR("empty name");
	if (n > max && cv_name_is_valid(s, n, SIZE_MAX))
		return ERR("'%s' is too long (at most %zu characters)", Q(s), max);
	if (!cv_name_is_valid(s, n, max))
		return ERR("'%s' is not a valid name (letters, digits, '.', '_' and '-', "
			   "starting with a letter or digit)",
			   Q(s));
	return 0;
}

static int
set_string(const char *text, void *field)
{
	char *copy = strdup(text);

	if (!copy)
		return -ENOMEM;
	free(*(char **)field);
	*(char **)field = copy;
	return 0;
}

static int
parse_name(const struct cv_conf_key *k, const char *text, void *field, char *err, size_t errlen)
{
	int r = check_name(text, k->max, err, errlen);

	return r < 0 ? r : set_string(text, field);
}

/*
 * What the kernel's dev_valid_name() accepts (1..15 bytes, not "." or "..",
 * no '/', ':' or whitespace), narrowed to printable ASCII so that a name in
 * the status output or a log line is always valid UTF-8.
 */
static int
parse_ifname(const struct cv_conf_key *k, const char *text, void *field, char *err, size_t errlen)
{
	size_t n = strlen(text);

	if (n == 0)
		return ERR("an interface name cannot be empty");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == ' ' || c == '\t')
			return ERR("'%s' is not a valid interface name: blanks are not allowed",
				   Q(text));
		if (c < 0x20 || c > 0x7e)
			return ERR("byte 0x%02x at position %zu: an interface name must be "
				   "printable ASCII",
				   c, i + 1);
		if (c == '/')
			return ERR("'%s' is not a valid interface name: '/' is not allowed",
				   Q(text));
		if (c == ':')
			return ERR("'%s' is not a valid interface name: ':' is not allowed (an "
				   "address label such as eth0:1 is not an interface)",
				   Q(text));
	}
	if (n > k->max)
		return ERR("'%s' is too long for an interface name (at most %u characters)", Q(text),
			   k->max);
	if (strcmp(text, ".") == 0 || strcmp(text, "..") == 0)
		return ERR("'%s' is not a valid interface name ('.' and '..' are not allowed)",
			   Q(text));
	return set_string(text, field);
}

static int
parse_url(const struct cv_conf_key *k, const char *text, void *field, char *err, size_t errlen)
{
	if (strncmp(text, "http://", 7) != 0 && strncmp(text, "https://", 8) != 0)
		return ERR("'%s' is not an http:// or https:// URL", Q(text));
	if (strlen(text) > k->max || strpbrk(text, " \t"))
		return ERR("'%s' is not a valid URL (no blanks, at most %u characters)", Q(text),
			   k->max);
	return set_string(text, field);
}

static int
parse_command(const struct cv_conf_key *k, const char *text, void *field, char *err,
	      size_t errlen)
{
	if (text[0] != '/')
		return ERR("'%s' is not an absolute path to a command", Q(text));
	if (strlen(text) > k->max)
		return ERR("command is too long (at most %u characters)", k->max);
	return set_string(text, field);
}

static int
parse_endpoint(const struct cv_conf_key *k, const char *text, void *field, char *err,
	       size_t errlen)
{
	struct cv_addr a;
	uint16_t port;

	if (cv_endpoint_parse(text, &a, &port) < 0)
		return ERR("'%s' is not ADDRESS:PORT (an IPv4 address, or an IPv6 one in "
			   "brackets, and a port 1..65535; no names)", Q(text));
	return set_string(text, field);
}

/* The parser has already refused control characters and cut comments and blanks. */
static int
parse_text(const struct cv_conf_key *k, const char *text, void *field, char *err, size_t errlen)
{
	if (strlen(text) > k->max)
		return ERR("'%s' is too long (at most %u characters)", Q(text), k->max);
	return set_string(text, field);
}

static int
parse_path(const struct cv_conf_key *k, const char *text, void *field, char *err, size_t errlen)
{
	if (text[0] != '/')
		return ERR("'%s' is not an absolute path", Q(text));
	if (strlen(text) > k->max)
		return ERR("path is too long (at most %u characters)", k->max);
	return set_string(text, field);
}

/* Neutron's ids are UUIDs: what else is there is a paste gone wrong. */
static int
parse_id(const struct cv_conf_key *k, const char *text, void *field, char *err, size_t errlen)
{
	if (strlen(text) > k->max || strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					    "0123456789-") != strlen(text))
		return ERR("'%s' is not an id (letters, digits and '-', at most %u characters)",
			   Q(text), k->max);
	return set_string(text, field);
}

static void
format_string(const struct cv_conf_key *k, const void *field, struct cv_strbuf *out)
{
	cv_strbuf_append(out, *(char *const *)field);
}

static bool
equal_string(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	return x == y || (x && y && strcmp(x, y) == 0);
}

static bool
is_set_string(const void *field)
{
	return *(char *const *)field != NULL;
}

static void
done_string(void *field)
{
	free(*(char **)field);
	*(char **)field = NULL;
}

/* ---- name lists ---- */

static void
done_list(void *field)
{
	struct cv_name_list *l = field;

	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	*l = (struct cv_name_list){};
}

static int
list_add(struct cv_name_list *l, const char *word, size_t len)
{
	char *copy = strndup(word, len);

	if (!copy)
		return -ENOMEM;
	l->names[l->n++] = copy;
	return 0;
}

static int
list_check_duplicates(const struct cv_name_list *l, char *err, size_t errlen)
{
	for (size_t i = 0; i < l->n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(l->names[i], l->names[j]) == 0)
				return ERR("'%s' is listed twice", l->names[i]);
	return 0;
}

static int
list_fill(const struct cv_conf_key *k, const char *text, struct cv_name_list *l, char *err,
	  size_t errlen)
{
	for (const char *p = text;;) {
		char word[CV_VALUE_MAX + 1];
		size_t len;
		int r;

		p += strspn(p, " \t");
		if (*p == '\0')
			return list_check_duplicates(l, err, errlen);
		len = strcspn(p, " \t");
		if (l->n == CV_LIST_MAX)
			return ERR("more than %d names", CV_LIST_MAX);
		snprintf(word, sizeof(word), "%.*s", (int)CV_MIN(len, CV_VALUE_MAX), p);
		r = check_name(word, k->max, err, errlen);
		if (r < 0)
			return r;
		r = list_add(l, p, len);
		if (r < 0)
			return r;
		p += len;
	}
}

static int
parse_list(const struct cv_conf_key *k, const char *text, void *field, char *err, size_t errlen)
{
	struct cv_name_list l = { .names = calloc(CV_LIST_MAX, sizeof(char *)) };
	int r;

	if (!l.names)
		return -ENOMEM;
	r = list_fill(k, text, &l, err, errlen);
	if (r < 0) {
		done_list(&l);
		return r;
	}
	done_list(field);
	*(struct cv_name_list *)field = l;
	return 0;
}

static void
format_list(const struct cv_conf_key *k, const void *field, struct cv_strbuf *out)
{
	const struct cv_name_list *l = field;

	for (size_t i = 0; i < l->n; i++)
		cv_strbuf_printf(out, "%s%s", i ? " " : "", l->names[i]);
}

static bool
equal_list(const void *a, const void *b)
{
	const struct cv_name_list *x = a, *y = b;

	if (x->n != y->n)
		return false;
	for (size_t i = 0; i < x->n; i++)
		if (strcmp(x->names[i], y->names[i]) != 0)
			return false;
	return true;
}

static bool
is_set_list(const void *field)
{
	return ((const struct cv_name_list *)field)->n > 0;
}

/* ---- numbers and durations ---- */

/* Digits only (no sign, no blanks), at most what fits in 64 bits. */
static int
scan_digits(const char *s, size_t *ret_len, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i = 0;

	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0)
		return -EINVAL;
	*ret_len = i;
	*ret = v;
	return 0;
}

static bool
is_auto(const struct cv_conf_key *k, const char *text)
{
	return (k->flags & CV_K_AUTO) && strcmp(text, "auto") == 0;
}

static int
parse_uint(const struct cv_conf_key *k, const char *text, void *field, char *err, size_t errlen)
{
	uint64_t v;
	size_t n;
	int r;

	if (is_auto(k, text)) {
		*(uint32_t *)field = CV_AUTO;
		return 0;
	}
	r = scan_digits(text, &n, &v);
	if (r == -EINVAL || (r == 0 && text[n] != '\0'))
		return ERR("'%s' is not a number%s", Q(text), k->flags & CV_K_AUTO ? " or auto" : "");
	if (r < 0 || v < k->min || v > k->max)
		return ERR("%s is out of range (%u..%u)", Q(text), k->min, k->max);
	*(uint32_t *)field = (uint32_t)v;
	return 0;
}

static void
format_uint(const struct cv_conf_key *k, const void *field, struct cv_strbuf *out)
{
	uint32_t v = *(const uint32_t *)field;

	if ((k->flags & CV_K_AUTO) && v == CV_AUTO)
		cv_strbuf_append(out, "auto");
	else
		cv_strbuf_printf(out, "%u", v);
}

static bool
equal_u32(const void *a, const void *b)
{
	return *(const uint32_t *)a == *(const uint32_t *)b;
}

void
cv_conf_format_duration(uint32_t ms, struct cv_strbuf *out)
{
	if (ms == CV_AUTO)
		cv_strbuf_append(out, "auto");
	else if (ms != 0 && ms % 60000 == 0)
		cv_strbuf_printf(out, "%um", ms / 60000);
	else if (ms % 1000 == 0)
		cv_strbuf_printf(out, "%us", ms / 1000);
	else
		cv_strbuf_printf(out, "%ums", ms);
}

static int
unit_factor(const char *unit)
{
	if (strcmp(unit, "ms") == 0)
		return 1;
	if (strcmp(unit, "s") == 0)
		return 1000;
	if (strcmp(unit, "m") == 0)
		return 60000;
	return -EINVAL;
}

static int
duration_range_error(const struct cv_conf_key *k, const char *text, char *err, size_t errlen)
{
	struct cv_strbuf lo = {}, hi = {};
	int r;

	cv_conf_format_duration(k->min, &lo);
	cv_conf_format_duration(k->max, &hi);
	r = lo.err || hi.err ? -ENOMEM : ERR("%s is out of range (%s..%s)", Q(text), lo.buf, hi.buf);
	cv_strbuf_done(&lo);
	cv_strbuf_done(&hi);
	return r;
}

static int
parse_duration(const struct cv_conf_key *k, const char *text, void *field, char *err,
	       size_t errlen)
{
	uint64_t v;
	size_t n;
	int factor, r;

	if (is_auto(k, text)) {
		*(uint32_t *)field = CV_AUTO;
		return 0;
	}
	r = scan_digits(text, &n, &v);
	if (r == -EINVAL)
		return ERR("'%s' is not a duration (a number with ms, s or m%s)", Q(text),
			   k->flags & CV_K_AUTO ? ", or auto" : "");
	if (r == 0 && text[n] == '\0')
		return ERR("'%s' needs a unit (ms, s or m)", Q(text));
	factor = r == 0 ? unit_factor(text + n) : 1;
	if (factor < 0)
		return ERR("'%s' has an unknown unit '%s' (ms, s or m)", Q(text), Q(text + n));
	if (r < 0 || v > UINT32_MAX / (uint64_t)factor || v * (uint64_t)factor < k->min ||
	    v * (uint64_t)factor > k->max)
		return duration_range_error(k, text, err, errlen);
	v *= (uint64_t)factor;
	if ((k->flags & CV_K_SECONDS) && v % 1000 != 0)
		return ERR("%s is not a whole number of seconds", Q(text));
	*(uint32_t *)field = (uint32_t)v;
	return 0;
}

static void
format_duration(const struct cv_conf_key *k, const void *field, struct cv_strbuf *out)
{
	cv_conf_format_duration(*(const uint32_t *)field, out);
}

static bool
always_set(const void *field)
{
	return true;
}

static void
done_nothing(void *field)
{
}

/* One bound of a range: digits in min..max, their count in ret_len; or -EINVAL. */
static int
scan_bound(const struct cv_conf_key *k, const char *s, size_t *ret_len, uint32_t *ret)
{
	uint64_t v;
	int r = scan_digits(s, ret_len, &v);

	if (r < 0 || v < k->min || v > k->max)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

static int
parse_range(const struct cv_conf_key *k, const char *text, void *field, char *err, size_t errlen)
{
	struct cv_range v = {};
	size_t n, m = 0;
	int r = scan_bound(k, text, &n, &v.lo);

	v.hi = v.lo;
	if (r == 0 && text[n] == '-') {
		r = scan_bound(k, text + n + 1, &m, &v.hi);
		m++; /* the '-' */
	}
	if (r < 0 || text[n + m] != '\0' || v.hi < v.lo)
		return ERR("'%s' is not a number or a range N-M (%u..%u, N <= M)", Q(text), k->min,
			   k->max);
	*(struct cv_range *)field = v;
	return 0;
}

static void
format_range(const struct cv_conf_key *k, const void *field, struct cv_strbuf *out)
{
	const struct cv_range *v = field;

	if (v->lo == v->hi)
		cv_strbuf_printf(out, "%u", v->lo);
	else
		cv_strbuf_printf(out, "%u-%u", v->lo, v->hi);
}

static bool
equal_range(const void *a, const void *b)
{
	const struct cv_range *x = a, *y = b;

	return x->lo == y->lo && x->hi == y->hi;
}

/* ---- booleans and enums ---- */

static int
parse_bool(const struct cv_conf_key *k, const char *text, void *field, char *err, size_t errlen)
{
	if (strcmp(text, "yes") == 0)
		*(bool *)field = true;
	else if (strcmp(text, "no") == 0)
		*(bool *)field = false;
	else
		return ERR("'%s' is not a boolean (yes or no)", Q(text));
	return 0;
}

static void
format_bool(const struct cv_conf_key *k, const void *field, struct cv_strbuf *out)
{
	cv_strbuf_append(out, *(const bool *)field ? "yes" : "no");
}

static bool
equal_bool(const void *a, const void *b)
{
	return *(const bool *)a == *(const bool *)b;
}

static int
parse_enum(const struct cv_conf_key *k, const char *text, void *field, char *err, size_t errlen)
{
	struct cv_strbuf all = {};
	int r;

	for (int i = 0; k->choices[i]; i++)
		if (strcmp(k->choices[i], text) == 0) {
			*(int *)field = i;
			return 0;
		}
	for (int i = 0; k->choices[i]; i++)
		cv_strbuf_printf(&all, "%s%s", i ? ", " : "", k->choices[i]);
	r = all.err ? all.err : ERR("'%s' is not one of %s", Q(text), all.buf);
	cv_strbuf_done(&all);
	return r;
}

static void
format_enum(const struct cv_conf_key *k, const void *field, struct cv_strbuf *out)
{
	cv_strbuf_append(out, k->choices[*(const int *)field]);
}

static bool
equal_int(const void *a, const void *b)
{
	return *(const int *)a == *(const int *)b;
}

/* ---- addresses ---- */

/* Why a is never usable as a VIP; 0 if it is (unicast or link-local). */
static int
check_vip_class(const char *text, const struct cv_addr *a, char *err, size_t errlen)
{
	bool v6 = a->family == AF_INET6;
	char buf[CV_ADDR_STRLEN];
	struct cv_addr v4;

	switch (cv_addr_classify(a)) {
	case CV_ADDR_CLASS_UNSPECIFIED:
		return ERR("'%s' is the unspecified address, not a unicast address", Q(text));
	case CV_ADDR_CLASS_THIS_NETWORK:
		return ERR("'%s' is in 0.0.0.0/8 (\"this network\"), which no host may use",
			   Q(text));
	case CV_ADDR_CLASS_LOOPBACK:
		return ERR("'%s' is %s, which never leaves the host", Q(text),
			   v6 ? "the loopback address" : "a loopback address (127.0.0.0/8)");
	case CV_ADDR_CLASS_MULTICAST:
		return ERR("'%s' is a multicast address (%s), not a unicast address", Q(text),
			   v6 ? "ff00::/8" : "224.0.0.0/4");
	case CV_ADDR_CLASS_RESERVED:
		return ERR("'%s' is in the reserved range 240.0.0.0/4", Q(text));
	case CV_ADDR_CLASS_BROADCAST:
		return ERR("'%s' is the limited broadcast address", Q(text));
	case CV_ADDR_CLASS_V4_MAPPED:
		/* The same VIP as its IPv4 form, which the kernel must hold as IPv4. */
		if (cv_addr_unmap_v4(a, &v4) < 0)
			return -EINVAL;
		return ERR("'%s' is an IPv4-mapped IPv6 address: write its IPv4 form, %s", Q(text),
			   cv_addr_format(&v4, a->prefixlen >= 96 && a->prefixlen < 128, buf,
					  sizeof(buf)));
	case CV_ADDR_CLASS_UNICAST:
	case CV_ADDR_CLASS_LINK_LOCAL: /* the VIP's interface is its scope */
		return 0;
	default:
		return -EINVAL;
	}
}

static int
parse_one_addr(const char *text, struct cv_addr *ret, char *err, size_t errlen)
{
	struct cv_addr a;
	int r = cv_addr_parse(text, &a);

	if (r == -ERANGE)
		return ERR("prefix length of '%s' is out of range for %s (0..%u)", Q(text),
			   strchr(text, ':') ? "IPv6" : "IPv4", strchr(text, ':') ? 128 : 32);
	if (r < 0)
		return ERR("'%s' is not an IPv4 or IPv6 address", Q(text));
	r = check_vip_class(text, &a, err, errlen);
	if (r < 0)
		return r;
	if (a.prefixlen == 0)
		return ERR("'%s' has prefix length 0, which would put every address on the link",
			   Q(text));
	r = cv_addr_ipv4_special(&a);
	if (r > 0)
		return ERR("'%s' is the %s address of its prefix", Q(text),
			   r == 1 ? "network" : "broadcast");
	*ret = a;
	return 0;
}

/* "ADDR[/PREFIX]" or "ADDR[/PREFIX] dev IFNAME" (keepalived's and ip's words). */
static int
parse_addrs(const struct cv_conf_key *k, const char *text, void *field, char *err, size_t errlen)
{
	struct cv_vip_addrs *list = field;
	struct cv_vip_addr a = {};
	char word[3][CV_ADDR_STRLEN + 1] = {};
	int n = 0, r;

	for (const char *p = text; *p && n <= 3;) {
		size_t len = strcspn(p, " \t");

		if (n < 3 && len >= sizeof(word[0]))
			return ERR("'%s' is not ADDRESS[/PREFIX] [dev INTERFACE]", Q(text));
		if (n < 3)
			memcpy(word[n], p, len);
		n++;
		p += len;
		p += strspn(p, " \t");
	}
	if (n != 1 && (n != 3 || strcmp(word[1], "dev") != 0))
		return ERR("'%s' is not ADDRESS[/PREFIX] [dev INTERFACE]", Q(text));
	r = parse_one_addr(word[0], &a.addr, err, errlen);
	if (r < 0)
		return r;
	if (n == 3) {
		const struct cv_conf_key ifkey = { .name = k->name, .max = CV_IFNAME_MAX };
		char *ifname = NULL;

		r = parse_ifname(&ifkey, word[2], &ifname, err, errlen);
		if (r < 0)
			return r;
		snprintf(a.dev, sizeof(a.dev), "%s", ifname);
		free(ifname);
	}
	if (list->n == CV_VIP_ADDRS_MAX)
		return ERR("more than %d addresses in one VIP", CV_VIP_ADDRS_MAX);
	list->v[list->n++] = a;
	return 0;
}

static void
format_addrs(const struct cv_conf_key *k, const void *field, struct cv_strbuf *out)
{
	const struct cv_vip_addrs *list = field;
	char buf[CV_ADDR_STRLEN];

	for (size_t i = 0; i < list->n; i++) {
		cv_strbuf_printf(out, "%s%s", i ? "\n" : "",
				 cv_addr_format(&list->v[i].addr, true, buf, sizeof(buf)));
		if (list->v[i].dev[0])
			cv_strbuf_printf(out, " dev %s", list->v[i].dev);
	}
}

bool
cv_vip_addrs_equal(const struct cv_vip_addrs *x, const struct cv_vip_addrs *y)
{
	if (x->n != y->n)
		return false;
	for (size_t i = 0; i < x->n; i++)
		if (cv_addr_compare(&x->v[i].addr, &y->v[i].addr) != 0 ||
		    strcmp(x->v[i].dev, y->v[i].dev) != 0)
			return false;
	return true;
}

static bool
equal_addrs(const void *a, const void *b)
{
	return cv_vip_addrs_equal(a, b);
}

static void
mark_addrs(void *field, uint32_t line, uint32_t col)
{
	struct cv_vip_addrs *list = field;

	list->v[list->n - 1].line = line;
	list->v[list->n - 1].col = col;
}

static bool
is_set_addrs(const void *field)
{
	return ((const struct cv_vip_addrs *)field)->n > 0;
}

static const struct cv_conf_type_ops type_ops[_CV_T_MAX] = {
	[CV_T_NAME] = { parse_name, format_string, equal_string, is_set_string, done_string },
	[CV_T_IFNAME] = { parse_ifname, format_string, equal_string, is_set_string, done_string },
	[CV_T_NAME_LIST] = { parse_list, format_list, equal_list, is_set_list, done_list },
	[CV_T_UINT] = { parse_uint, format_uint, equal_u32, always_set, done_nothing },
	[CV_T_BOOL] = { parse_bool, format_bool, equal_bool, always_set, done_nothing },
	[CV_T_DURATION] = { parse_duration, format_duration, equal_u32, always_set, done_nothing },
	[CV_T_ADDRS] = { parse_addrs, format_addrs, equal_addrs, is_set_addrs, done_nothing,
			 mark_addrs },
	[CV_T_ENUM] = { parse_enum, format_enum, equal_int, always_set, done_nothing },
	[CV_T_URL] = { parse_url, format_string, equal_string, is_set_string, done_string },
	[CV_T_COMMAND] = { parse_command, format_string, equal_string, is_set_string, done_string },
	[CV_T_ENDPOINT] = { parse_endpoint, format_string, equal_string, is_set_string, done_string },
	[CV_T_RANGE] = { parse_range, format_range, equal_range, always_set, done_nothing },
	[CV_T_TEXT] = { parse_text, format_string, equal_string, is_set_string, done_string },
	[CV_T_PATH] = { parse_path, format_string, equal_string, is_set_string, done_string },
	[CV_T_ID] = { parse_id, format_string, equal_string, is_set_string, done_string },
};

const struct cv_conf_type_ops *
cv_conf_type_ops(enum cv_conf_type t)
{
	return &type_ops[t];
}

int
cv_conf_check_name(const char *s, size_t max, char *err, size_t errlen)
{
	return check_name(s, max, err, errlen);
}
