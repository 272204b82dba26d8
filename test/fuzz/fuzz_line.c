/*
 * fuzz_line.c - libFuzzer target: one syslog line through the framing scanner
 * and the shipped rules, as the hot path sees it (bytes, NULs allowed), plus
 * the formatting --test does with whatever was captured.  The line is parsed
 * twice with one year state: the second parse takes the head the first one
 * kept, and must read the line the same (it aborts if not).
 */
#include "log.h"
#include "logline.h"
#include "rule.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ruleset *rs;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct logline_year yr = {.year = 0, .last_mon = -1};
	struct logline ll, again;
	int rc;
	struct event ev;
	char out[8192];
	char *line;

	if (rs == NULL) {
		const char *dir = getenv("FUZZ_RULES");

		log_open(NULL, false, false);
		rs = rule_load(dir != NULL ? dir : "etc/rules");
		if (rs == NULL)
			abort();
	}
	line = malloc(size + 1);
	memcpy(line, data, size);
	line[size] = '\0';
	rc = logline_parse(line, size, &ll, &yr);
	if (logline_parse(line, size, &again, &yr) != rc ||
	    (rc == 0 && memcmp(&ll, &again, sizeof(ll)) != 0))
		abort(); /* the kept head changed what the line says */
	if (rc == 0 && rule_match(rs, &ll, &ev))
		rule_format_event(&ev, out, sizeof(out));
	if (logline_parse(line, size, &ll, NULL) == 0)
		(void)rule_match(rs, &ll, &ev);
	free(line);
	return 0;
}
