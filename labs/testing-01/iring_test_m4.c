// SPDX-License-Identifier: GPL-2.0
/* iring_test_m4.c - your tests (iring_kunit.c) against planted bug 4 (iring_mutant.c). */
#define IRING_MUTANT 4
#include "iring_mutant.c"
#include "iring_kunit.c"
