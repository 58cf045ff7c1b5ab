/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent's meta-data (OCF 1.1): its parameters (ocf-params.c) and its
 * actions, as XML that validates against resource-agents' ra-api-1.dtd
 * (what ocf-tester checks) with OCF 1.1's additions declared in the
 * document's own DTD subset: the reload-agent action and reloadable
 * parameters (the 1.0 DTD names neither).
 */
#pragma once

#include <stdio.h>

/* 0, or -EIO when f could not take it. */
int ocf_meta_print(FILE *f);
