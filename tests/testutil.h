/* testutil.h — shared helpers for aspen's cmocka suites. */
#ifndef ASPEN_TESTUTIL_H
#define ASPEN_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#endif
