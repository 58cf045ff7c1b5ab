/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * EC2 credentials (brief §2.5): static keys from a shared credentials file
 * (the AWS CLI's INI format: [profile] aws_access_key_id, aws_secret_access_key,
 * aws_session_token) or the environment, and an instance role's from IMDSv2
 * (its JSON: AccessKeyId, SecretAccessKey, Token, Expiration). Never from
 * argv, never logged. Pure: text in, struct out (tests/unit/test-aws.c).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct cv_aws_creds {
	char key[128];
	char secret[128];
	char token[4096];	/* a session token, "" if none */
	int64_t expires_unix_s; /* when they expire (role credentials), 0: never */
};

/*
 * The profile's keys from a credentials file's text: 0, -ENOENT (no such
 * profile, or it lacks a key), -EINVAL with why in err (a line too long).
 */
int cv_aws_creds_from_file(const char *text, size_t len, const char *profile,
			   struct cv_aws_creds *ret, char *err, size_t err_len);

/* A role's credentials from IMDS's JSON: 0, or -EBADMSG with why in err. */
int cv_aws_creds_from_imds(const char *body, size_t len, struct cv_aws_creds *ret, char *err,
			   size_t err_len);

/* "2026-03-01T18:00:00Z" -> Unix seconds; -EINVAL if it is not that form. */
int cv_aws_parse_time(const char *text, int64_t *ret);
