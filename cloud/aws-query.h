/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * EC2 Query API request bodies (brief §2.1): POST / with a form-encoded
 * body, "Action=NAME&Version=2016-11-15&..." and flattened lists
 * ("PrivateIpAddress.1=..."). Values are percent-encoded as RFC 3986 says
 * (unreserved kept, everything else %XX, upper-case hex): the encoding
 * SigV4 canonicalises to, so what is signed is what is sent. Pure.
 */
#pragma once

#include "strbuf.h"

#define CV_AWS_EC2_VERSION "2016-11-15"

/* Start b (empty) with Action=action&Version=CV_AWS_EC2_VERSION. */
void cv_aws_query_start(struct cv_strbuf *b, const char *action);
/* Append &name=value (value percent-encoded; name is ours, plain). */
void cv_aws_query_add(struct cv_strbuf *b, const char *name, const char *value);
/* Append &name.index=value (a flattened list's member, index from 1). */
void cv_aws_query_add_nth(struct cv_strbuf *b, const char *name, unsigned index, const char *value);
