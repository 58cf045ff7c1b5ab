/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* CPG wire format: stub, to be written. */
#pragma once
