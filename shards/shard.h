/* shard.h — tar shards on independent zstd frames (see schema/SHARD_FORMAT.md).
 *
 * A shard is a POSIX ustar stream compressed as a sequence of independent
 * zstd frames: one frame per sample holding that sample's tar members
 * (KEY.jpg|png|webp, KEY.txt, KEY.json, in the order given), and, once
 * sealed, a last frame holding the two 512-byte zero blocks that end a tar.
 * Concatenated zstd frames are one valid zstd stream, so `zstdcat | tar t`,
 * `tar --zstd -xf` and webdataset readers see one plain tar.
 *
 * Bytes are deterministic: uid/gid 0, mode 0644, empty uname/gname, mtime as
 * passed (0 if unknown), no pax/GNU extensions; the same members give the
 * same shard bytes (golden files rely on this).
 *
 * Writer: appends frames to a file (normally DIR/shards/NNNNN.tar.zst.part).
 * Each add returns the frame's byte offset and compressed length, which the
 * index stores so one sample is read back with one pread + one decompression.
 * Frames are gathered in memory and written about 1 MiB at a time; sync,
 * seal and close write the rest, so a frame is in the file (for a reader
 * on another descriptor) only after shard_writer_sync.
 * The writer is not thread-safe; use one per thread (the pipeline has one).
 *
 * Errors: functions return CC_OK or a cc_err code; the one-line detail, which
 * names the file, is in shard_writer_errmsg(w) or in the caller's err buffer.
 * Allocation failure aborts.
 */
#ifndef CC_SHARDS_SHARD_H
#define CC_SHARDS_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* Member names are "KEY.EXT"; the ustar name field holds at most 99 bytes. */
#define SHARD_NAME_MAX 99
/* A frame never decompresses to more than this (reader's defence against
 * hostile or corrupt frame headers). */
#define SHARD_FRAME_MAX ((uint64_t)1 << 30)
/* The tar end marker: two zero blocks. */
#define SHARD_END_BYTES 1024

/* One tar member to write, or one parsed member pointing into a frame's
 * decompressed bytes. */
typedef struct {
    const char *name;    /* writer: full member name, e.g. "000070042.jpg" */
    const void *data;
    size_t len;
} shard_member;

/* ---- writer ------------------------------------------------------------- */

typedef struct shard_writer shard_writer;

/* Opens path for appending frames.
 *   keep_bytes < 0: create (or truncate to empty) a new file.
 *   keep_bytes >= 0: open an existing file and cut it back to keep_bytes
 *     bytes (crash recovery: drop frames the index never committed); the
 *     file must be at least keep_bytes long, else CC_ERR_CORRUPT.
 * level: zstd level (0 = default 3; negative = zstd's fast levels, e.g. -1,
 *   for bytes that do not compress, such as images).
 * Returns NULL with a one-line message in err on failure. */
shard_writer *shard_writer_open(const char *path, int64_t keep_bytes, int level,
                                char *err, size_t errlen);

/* Appends one frame holding members m[0..n) (in that order), each with the
 * given mtime (seconds since the epoch; 0 if unknown). On success stores the
 * frame's offset and compressed length (either pointer may be NULL) and
 * returns CC_OK. Bad input (name empty or longer than SHARD_NAME_MAX, n == 0)
 * gives CC_ERR_USAGE. A write error (here, or in sync/seal/close) gives
 * CC_ERR_IO: the file is cut back to the end of the last successful write,
 * so it ends on a frame boundary but may lack frames whose offsets add
 * already returned since then (never past the last sync), and the writer
 * refuses every later add, sync and seal with the same message. */
cc_err shard_writer_add(shard_writer *w, const shard_member *m, size_t n, int64_t mtime,
                        uint64_t *offset, uint64_t *length);

/* Appends one frame built by shard_frame_build (with the writer's zstd
 * level, for the same bytes shard_writer_add would write), as shard_writer_add
 * does; the bytes are taken as they are. */
cc_err shard_writer_add_frame(shard_writer *w, const void *frame, size_t len, uint64_t *offset, uint64_t *length);

/* Building frames on other threads: a framer holds a zstd context (one per
 * thread); shard_frame_build puts into out (replacing its contents) the
 * exact frame shard_writer_add(w, m, n, mtime) writes on a writer opened
 * with the same level. CC_ERR_USAGE for bad members (as there), message
 * in err without a file name. */
typedef struct shard_framer shard_framer;
shard_framer *shard_framer_new(int level);
void shard_framer_free(shard_framer *f); /* NULL is a no-op */
cc_err shard_frame_build(shard_framer *f, const shard_member *m, size_t n, int64_t mtime, ccbuf *out, char *err,
                         size_t errlen);

/* Bytes of the shard so far, written or still in memory (= the offset the
 * next frame will get). */
uint64_t shard_writer_size(const shard_writer *w);
/* Number of frames added through this writer (not counting earlier ones). */
uint64_t shard_writer_frames(const shard_writer *w);

/* Writes the frames still in memory and fdatasync()s the file: frames added
 * so far are durable. */
cc_err shard_writer_sync(shard_writer *w);

/* Seals the shard: appends the end frame, fsyncs, renames the file to
 * final_path (e.g. the name without ".part"), fsyncs the directory and
 * frees w. Returns CC_OK or an error code; w is freed either way, and the
 * error detail is copied into err (may be NULL). */
cc_err shard_writer_seal(shard_writer *w, const char *final_path, char *err, size_t errlen);

/* Closes without sealing (the file stays a .part that can be continued).
 * Writes the frames still in memory but does not fsync; call
 * shard_writer_sync() first if that matters (a write error is logged).
 * NULL is a no-op. */
void shard_writer_close(shard_writer *w);

/* The last error's one-line detail ("" if none). Valid until the next call. */
const char *shard_writer_errmsg(const shard_writer *w);

/* ---- reading ------------------------------------------------------------ */

/* Reads the frame at [offset, offset+length) of the open file fd with one
 * pread and decompresses it with one ZSTD_decompress into out (replacing its
 * contents). name is used in messages only. Returns CC_OK, CC_ERR_IO (read
 * failed / short file) or CC_ERR_CORRUPT (not exactly one zstd frame, no
 * content size, size over SHARD_FRAME_MAX, checksum mismatch). */
cc_err shard_read_frame(int fd, const char *name, uint64_t offset, uint64_t length,
                        ccbuf *out, char *err, size_t errlen);

/* A reusable reading context (a zstd decompression context and a buffer for
 * the compressed bytes) for a reader of many frames: shard_read_frame
 * allocates both on every call. One per thread. */
typedef struct shard_reader shard_reader;
shard_reader *shard_reader_new(void);
void shard_reader_free(shard_reader *r); /* NULL is a no-op */
/* shard_read_frame with r's context (r NULL: a temporary one). */
cc_err shard_reader_read(shard_reader *r, int fd, const char *name, uint64_t offset, uint64_t length, ccbuf *out,
                         char *err, size_t errlen);

/* Parses the tar members in buf[0..n) (the decompressed bytes of one frame):
 * every header's checksum, magic, type ('0' or NUL) and size are checked,
 * and member data must lie inside buf. Zero blocks end the parse (an end
 * frame holds only those; *count is 0 then). Fills at most max members into
 * out (data points into buf; name into a static-free per-call array, see
 * names) and stores the count in *count.
 * names: caller's array of max char[SHARD_NAME_MAX+1] slots receiving the
 * NUL-terminated names; out[i].name points into it.
 * Returns CC_OK, CC_ERR_CORRUPT (with detail naming 'name'), or CC_ERR_RANGE
 * when there are more than max members. */
cc_err shard_parse_tar(const unsigned char *buf, size_t n, const char *name, shard_member *out,
                       char (*names)[SHARD_NAME_MAX + 1], size_t max, size_t *count,
                       char *err, size_t errlen);

/* True when buf[0..n) is exactly the tar end marker (1024 zero bytes). */
int shard_is_end_frame(const unsigned char *buf, size_t n);

/* ---- iterating over every frame of a shard file (verify, recovery) ---------- */

typedef struct shard_iter shard_iter;

/* Opens a shard file (sealed or .part) for a frame-by-frame walk.
 * Returns NULL with a message in err if the file cannot be opened/mapped. */
shard_iter *shard_iter_open(const char *path, char *err, size_t errlen);

/* Finds the next frame. Returns 1 and stores its offset and compressed
 * length (and, when out != NULL, its decompressed bytes), 0 at the end of
 * the file, or -1 when the bytes at the current offset are not a complete
 * zstd frame (truncated or garbage; detail in shard_iter_errmsg). After -1
 * the walk stops. */
int shard_iter_next(shard_iter *it, uint64_t *offset, uint64_t *length, ccbuf *out);
/* Moves the walk to offset (clamped to the file size) and clears a failure,
 * so a reader that knows where the next frame starts (the index does) can
 * step over a damaged one. */
void shard_iter_seek(shard_iter *it, uint64_t offset);
/* Where the walk stands: after -1, the offset of the damaged frame. */
uint64_t shard_iter_pos(const shard_iter *it);
/* File size in bytes. */
uint64_t shard_iter_file_size(const shard_iter *it);
const char *shard_iter_errmsg(const shard_iter *it);
void shard_iter_close(shard_iter *it); /* NULL is a no-op */

/* ---- helpers ------------------------------------------------------------ */

/* Cuts the file at path back to end bytes and fsyncs it. CC_ERR_CORRUPT if
 * the file is shorter than end; CC_ERR_IO on I/O failure. */
cc_err shard_truncate(const char *path, uint64_t end, char *err, size_t errlen);

/* Writes "DIR/shards/NNNNN.tar.zst" (part = 0) or "...tar.zst.part" (part = 1)
 * into a new string the caller frees. */
char *shard_path(const char *dir, int64_t shard_no, int part);

#endif
