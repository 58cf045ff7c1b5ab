/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * struct cv_daemon owns everything: the loop, the config, the engine and the
 * adapters. Events from the adapters go to the engine; its actions go to the
 * executor. That is all the daemon does: decisions stay in core/.
 */
#pragma once

#include <stdbool.h>

/*
 * Run until stopped; returns the process exit code. The log settings are
 * passed on to the reaper (a process of its own, see reaper.h).
 */
/* state_dir: where blackbox dumps go (made if missing) */
int cv_daemon_run(const char *config_path, const char *state_dir, bool log_foreground,
		  bool log_debug);
