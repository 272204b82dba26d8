/*
 * test.h - shared scaffolding for the Check unit suites in test/unit/.
 *
 * Each check_<module>.c defines one suite function and ends with
 * TEST_MAIN(suite_fn); the runner prints Check's "N%: Checks: ..." line and exits
 * non-zero on any failure.  Set CK_FORK=no under valgrind or gdb.
 */
#ifndef POPAUTHD_TEST_H
#define POPAUTHD_TEST_H

#include <check.h>
#include <stdlib.h>

#define TEST_MAIN(suite_fn)                                                    \
	int main(void)                                                         \
	{                                                                      \
		SRunner *sr = srunner_create(suite_fn());                      \
		int failed;                                                    \
		srunner_run_all(sr, CK_NORMAL);                                \
		failed = srunner_ntests_failed(sr);                            \
		srunner_free(sr);                                              \
		return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;              \
	}

#endif
