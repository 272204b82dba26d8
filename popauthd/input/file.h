/*
 * file.h - follow a log file rsyslog writes (input = file), across rotation.
 *
 * For input.c (the log source interface).  Position: (device, inode,
 * offset after the last complete line handed out), stored by the engine
 * with what the lines did; at start the file goes on from there, wherever
 * rotation left it while popauthd was down:
 * - same inode, size >= offset: from the offset;
 * - same inode, smaller (copytruncate): from 0;
 * - another inode (renamed): the rest of PATH.1 if that is the old inode,
 *   then PATH from 0.
 * While running, at the end of the file: a new inode at PATH means a rename
 * (the old file was read to its end first), a size below the offset a
 * copytruncate.  Lines rsyslog writes into the old file after we moved on
 * (before logrotate's HUP reaches it) are not read.  A partial last line
 * waits for its newline.  First start, no position: the file is read from
 * its start but lines stamped before popauth_expire ago (logline_parse with
 * a year tracker) are skipped without running the rules; skipping ends at
 * the first line inside the window.  Wake-ups: inotify on the directory
 * (its files' IN_MODIFY, IN_CREATE, IN_MOVED_*), and the periodic check.
 */
#ifndef POPAUTHD_FILE_H
#define POPAUTHD_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct file;

typedef void file_line_fn(void *arg, char *line, size_t len);

/* file_open - follow path (nothing read yet: file_resume); NULL (logged) */
struct file *file_open(const char *path, time_t back);
/* file_close - close and free (NULL is fine) */
void file_close(struct file *f);
/* file_fd - the inotify descriptor to wait on */
int file_fd(const struct file *f);
/* file_read - lines up to budget bytes; 1 read, 0 nothing new, -1 */
int file_read(struct file *f, size_t budget, file_line_fn *fn, void *arg);
/* file_pending - there may be more to read now */
bool file_pending(const struct file *f);
/* file_check - the periodic look (no inotify event needed); 0 */
int file_check(struct file *f);
/* file_position - "DEV INO OFFSET" into buf; its length, 0 if not moved */
size_t file_position(struct file *f, void *buf, size_t size);
/* file_resume - go on from pos (len 0: first start); 0 or -1 */
int file_resume(struct file *f, const void *pos, size_t len);
/* file_dropped - over-long lines dropped so far */
unsigned long long file_dropped(const struct file *f);

#endif
