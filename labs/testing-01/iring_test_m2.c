// SPDX-License-Identifier: GPL-2.0
/* iring_test_m2.c - your tests (iring_kunit.c) against planted bug 2 (iring_mutant.c). */
#define IRING_MUTANT 2
#include "iring_mutant.c"
#include "iring_kunit.c"
