/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "aws-query.h"

static void
put_encoded(struct cv_strbuf *b, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~')
			cv_strbuf_append_len(b, v, 1);
		else
			cv_strbuf_printf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}

void
cv_aws_query_start(struct cv_strbuf *b, const char *action)
{
	cv_strbuf_append(b, "Action=");
	put_encoded(b, action);
	cv_strbuf_append(b, "&Version=" CV_AWS_EC2_VERSION);
}

void
cv_aws_query_add(struct cv_strbuf *b, const char *name, const char *value)
{
	cv_strbuf_printf(b, "&%s=", name);
	put_encoded(b, value);
}

void
cv_aws_query_add_nth(struct cv_strbuf *b, const char *name, unsigned index, const char *value)
{
	cv_strbuf_printf(b, "&%s.%u=", name, index);
	put_encoded(b, value);
}
