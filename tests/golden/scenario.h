/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Golden scenarios: a plain-text file (format in scenario.c's comment) with
 * a cluster, its config, timed faults and admin commands, and expectations;
 * run on the simulator (sim.h).
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

struct scn;

/* Parse text (name is for messages). On error returns -EINVAL with "line N: what" in err. */
int scn_parse(const char *text, const char *name, struct scn **ret, char *err, size_t errlen);
struct scn *scn_free(struct scn *sc);

/*
 * Run the scenario; report to out. trace prints the simulator's timeline on
 * stderr. Returns the number of failures (violations and unmet expectations).
 */
size_t scn_run(struct scn *sc, bool trace, FILE *out);
/* How many SILENT messages the daemons sent in the last run (coverage). */
size_t scn_silent_sent(const struct scn *sc);
