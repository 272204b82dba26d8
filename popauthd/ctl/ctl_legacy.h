/*
 * ctl_legacy.h - a popauth 3.0.1 installation as export.h records, so that
 * popauthctl import can move it into popauthd.
 *
 * For popauthctl.c.  Sources (the seed's formats, times in epoch seconds):
 *   rbl_cache       file, one line an entry, tab-separated:
 *                   IP first last unban period_hits total_hits frequency
 *                   host list reason   (unban -1 = never banned)
 *   authenticated/  spool directory, a file per granted IP named by it,
 *                   lines "user@domain TAB first TAB last TAB count"
 *   fishers/        spool directory, a file per IP named by it, lines
 *                   "to TAB from TAB first TAB last TAB hits"
 * Text is passed through export_clean (the daemon escapes it again), a bad
 * line is reported as file:line and refuses the import.
 */
#ifndef POPAUTHD_CTL_LEGACY_H
#define POPAUTHD_CTL_LEGACY_H

#include <stddef.h>

/*
 * ctl_legacy_records - kind "rbl_cache", "authenticated" or "fishers" at
 * path as record lines to fn; 0, or -1 with "file:line: message" in err
 */
int ctl_legacy_records(const char *kind, const char *path,
    void (*fn)(void *arg, const char *line), void *arg, char *err,
    size_t errsize);

#endif
