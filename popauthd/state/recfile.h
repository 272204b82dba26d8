/*
 * recfile.h - an append-only file of records beside the state tables.
 *
 * For evidence.c: data too bulky to rewrite whole at every change (the log
 * lines behind each client's records) goes here, one record per change,
 * instead of into a table.  data_directory/NAME.journal holds a header
 * (magic, generation, base length) and records (u32 length, u32 check
 * word, payload).  What counts is a mark (generation, length) that the owner
 * commits in the state's transaction, beside the records the lines explain:
 * at open, bytes past the mark (written before a commit that never came)
 * are cut off, so the journal is as kill -9 safe as the tables.
 *
 * Appends are buffered and written when the buffer fills or at
 * recfile_flush, which the owner calls before it takes the mark.
 * Compaction copies the live records into NAME.journal.tmp under the next
 * generation and renames it over the journal; a committed mark one
 * generation behind the file then means "the compacted file, up to its
 * base length".
 */
#ifndef POPAUTHD_RECFILE_H
#define POPAUTHD_RECFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RECFILE_REC_MAX 4096 /* payload bytes of one record, at most */

struct recfile;

/* the committed extent: generation and length of the file */
struct recfile_mark {
	uint64_t gen, len;
};

/* a record at open: its offset (the journal's handle for it) and payload */
typedef void recfile_rec_fn(
    void *arg, uint64_t off, const uint8_t *p, size_t n);

/*
 * recfile_open - open or create DIR/NAME.journal and hand fn each record up
 * to the mark m (NULL: none committed yet: the journal starts empty); what
 * lies beyond is cut off.  NULL on error (logged).
 */
struct recfile *recfile_open(const char *dir, const char *name,
    const struct recfile_mark *m, recfile_rec_fn *fn, void *arg);
/* recfile_close - write what is buffered (not synced) and free */
void recfile_close(struct recfile *j);

/* recfile_reserve - room for a payload of at most max bytes, to fill */
uint8_t *recfile_reserve(struct recfile *j, size_t max);
/* recfile_add - the reserved room now holds n bytes: the record's offset */
uint64_t recfile_add(struct recfile *j, size_t n);
/* recfile_flush - write the buffered records to the file; 0 or -1 */
int recfile_flush(struct recfile *j);
/* recfile_mark - the extent written so far (after recfile_flush) */
void recfile_mark(const struct recfile *j, struct recfile_mark *m);
/* recfile_sync - fdatasync; 0 or -1 (logged) */
int recfile_sync(struct recfile *j);
/* recfile_bytes - the journal's length, buffered records included */
uint64_t recfile_bytes(const struct recfile *j);

/* recfile_read - the payload of the record at off into buf: n, or -1 */
ssize_t recfile_read(
    struct recfile *j, uint64_t off, uint8_t *buf, size_t size);

/*
 * Compaction: recfile_compact_begin, then recfile_compact_copy for each
 * record to keep (its new offset, or -1), then recfile_compact_end with
 * whether every copy succeeded: it swaps the files (0), or leaves the old
 * journal as it was (-1).  New offsets are valid only after a 0.
 */
int recfile_compact_begin(struct recfile *j);
int64_t recfile_compact_copy(struct recfile *j, uint64_t off);
int recfile_compact_end(struct recfile *j, bool ok);

#endif
