/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz the config parser. Any input must give a config or an error with a
 * position, never a crash; an accepted config must round-trip through its
 * effective form to the same model (empty diff, same digest).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_round_trip(const struct cv_config *c)
{
	struct cv_config *again = NULL;
	struct cv_config_diff d = {};
	struct cv_conf_error e;
	char *text = NULL;

	if (cv_config_format(c, &text) < 0)
		return; /* out of memory */
	if (cv_config_parse(text, strlen(text), &again, &e) < 0)
		abort(); /* the effective config must parse */
	if (cv_config_digest(c) != cv_config_digest(again))
		abort();
	if (cv_config_diff(c, again, &d) == 0 && d.n_changes != 0)
		abort();
	cv_config_diff_done(&d);
	cv_config_free(again);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cv_config *c = NULL;
	struct cv_conf_error e = {};
	int r = cv_config_parse((const char *)data, size, &c, &e);

	if (r == 0) {
		check_round_trip(c);
		cv_config_free(c);
	} else if (r == -EINVAL && (e.key[0] == '\0' || e.msg[0] == '\0')) {
		abort(); /* every error names what is wrong */
	}
	return 0;
}
