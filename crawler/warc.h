/* warc.h — a streaming reader for WARC files (ISO 28500; WARC/0.17 to 1.1)
 * and the HTTP messages inside them.
 *
 * INPUT
 *   A file (or "-" for stdin, or a memory buffer) holding WARC records,
 *   either plain or gzip-compressed. Gzip input is recognised by its magic
 *   bytes, not by the file name, and is read as one continuous stream across
 *   members, so all three layouts real archives use read the same:
 *     - one gzip member per record (Common Crawl, wget, warcio, pywb);
 *     - the whole file as one member;
 *     - members that do not line up with records (a record split over
 *       several members, or several records in one member).
 *   A member whose deflate data is corrupt is skipped: the reader looks for
 *   the next gzip header ("1f 8b 08") after it and goes on from there.
 *
 * STREAMING AND MEMORY
 *   Records are read one at a time; nothing grows with the file. The reader
 *   holds a 256 KiB window of decompressed bytes and at most one record
 *   block in memory, and only when the caller asks for it
 *   (warc_read_block()); a block larger than opts.max_block is never loaded
 *   (warc_read_block() answers WARC_BLOCK_TOO_LARGE and the bytes are
 *   streamed past). A record header block is at most 64 KiB.
 *
 * DAMAGED INPUT
 *   The reader never gives up on a bad record while more input follows:
 *     - Whitespace between records (the CRLF CRLF after each block, or too
 *       many/too few CR/LF as some writers produce) is skipped.
 *     - When the bytes after a block are not a "WARC/" line (a wrong
 *       Content-Length, a record header without Content-Length, a header
 *       block over 64 KiB, garbage), the reader scans forward to the next
 *       line that starts with "WARC/0." or "WARC/1." and resumes there;
 *       warc_stats() counts these resyncs and the bytes skipped.
 *   What ends a stream early is reported once by warc_end_reason(), a
 *   one-line text, and reading simply stops (warc_next() returns 0):
 *     - "not a WARC file ..." when the first bytes are not a WARC record;
 *     - "truncated record ..." when the input ends inside a block (the
 *       truncated record is still returned, with rec->truncated set, and its
 *       partial block can be read);
 *     - "truncated gzip stream ..." / "gzip data corrupt ..." when the
 *       compressed input ends inside a member or no member follows the
 *       corrupt one;
 *     - "read error ..." for I/O errors.
 *   A clean end of input (only whitespace after the last block) leaves
 *   warc_end_reason() NULL.
 *
 * HTTP
 *   warc_http_parse() reads the HTTP message held in the block of a
 *   `response` (or `request`, or `revisit`) record: status line, headers,
 *   and the payload with its transfer and content codings undone, coping
 *   with what archives hold (see the WARC_HTTP_* flags):
 *     - Transfer-Encoding: chunked over a body that was stored de-chunked
 *       (common: pywb, many crawlers): when the body does not start with a
 *       valid chunk, it is taken as it is;
 *     - bad chunk sizes in the middle: the chunks decoded so far are kept;
 *       a last chunk cut short by a truncated record is kept as far as it
 *       goes;
 *     - Content-Encoding gzip, x-gzip, deflate (zlib or raw), br and zstd
 *       are decoded; a body that does not decode from its first byte is
 *       taken as stored (some archivers decode but keep the header); a
 *       body that breaks off mid-way keeps what decoded;
 *     - the decoded payload is capped at max_payload bytes (a gzip bomb
 *       stops there, flagged WARC_HTTP_CUT).
 *   Revisit records usually hold HTTP headers only: their payload is empty
 *   (the content is in an earlier record, see WARC-Refers-To).
 *
 * THREADS
 *   A reader is used by one thread at a time; different readers are
 *   independent. warc_http_parse() is a pure function.
 */
#ifndef CC_WARC_H
#define CC_WARC_H

#include <stddef.h>
#include <stdint.h>

/* ---- records ------------------------------------------------------------------ */

typedef enum {
    WARC_OTHER = 0, /* an unknown WARC-Type value (rec->type_name has it) */
    WARC_WARCINFO,
    WARC_RESPONSE,
    WARC_RESOURCE,
    WARC_REQUEST,
    WARC_METADATA,
    WARC_REVISIT,
    WARC_CONVERSION,
    WARC_CONTINUATION
} warc_type;

/* One WARC header field, as written (name case kept, value trimmed;
 * folded continuation lines joined with one space). */
typedef struct {
    const char *name;
    const char *value;
} warc_field;

/* The current record. Every pointer stays valid until the next
 * warc_next() / warc_close() on the reader that filled it. */
typedef struct {
    warc_type type;
    const char *type_name;    /* WARC-Type as written; "" when missing */
    const char *version;      /* "WARC/1.0", "WARC/1.1", "WARC/0.18" ... */
    const char *target_uri;   /* WARC-Target-URI, surrounding <> removed (WARC/1.1
                                 drafts wrote <uri>); NULL when absent */
    const char *date;         /* WARC-Date or NULL */
    const char *record_id;    /* WARC-Record-ID or NULL */
    const char *content_type; /* Content-Type of the block or NULL */
    uint64_t content_length;  /* the block's length as declared */
    uint64_t offset;          /* offset of the "WARC/" line in the decompressed stream */
    uint64_t raw_offset;      /* for gzip input: offset in the file of the gzip member
                                 this record starts in (the offset a CDX index gives);
                                 for plain input equal to offset */
    int truncated;            /* 1: the input ends inside this record's block */
    const warc_field *fields; /* all header fields, in order */
    size_t n_fields;
} warc_record;

/* Value of the first header field called name (case-insensitive), or NULL. */
const char *warc_field_get(const warc_record *rec, const char *name);

/* "warcinfo", "response", ...; "other" for WARC_OTHER. */
const char *warc_type_name(warc_type t);

/* ---- the reader ------------------------------------------------------------------ */

typedef struct warc_reader warc_reader;

typedef struct {
    size_t max_block; /* largest block warc_read_block() loads; default 16 MiB */
} warc_options;

/* Fills o with the defaults. */
void warc_options_init(warc_options *o);

/* Opens path ("-" = standard input) for reading. opts may be NULL (defaults).
 * Returns NULL with a one-line message naming path in err when the file
 * cannot be opened; everything else (not a WARC, broken gzip) shows up as
 * warc_end_reason() after the first warc_next(). */
warc_reader *warc_open(const char *path, const warc_options *opts, char *err, size_t errlen);

/* Reads from data[0..n), which must stay valid while the reader is used
 * (the fuzz target and tests use this). Never NULL. */
warc_reader *warc_open_mem(const void *data, size_t n, const warc_options *opts);

/* Frees everything; closes the file when warc_open() opened it (not
 * stdin). NULL is a no-op. */
void warc_close(warc_reader *r);

/* Moves to the next record: skips what is left of the current block, reads
 * the next record header into *rec. Returns 1 when *rec holds a record, 0 at
 * the end of input (then warc_end_reason() says whether the end was clean).
 * Once it has returned 0 it keeps returning 0. */
int warc_next(warc_reader *r, warc_record *rec);

typedef enum {
    WARC_BLOCK_OK = 0,        /* the whole block is in *data */
    WARC_BLOCK_TRUNCATED = 1, /* the input ended early: *data holds what there was */
    WARC_BLOCK_TOO_LARGE = 2, /* content_length > max_block: nothing loaded (*data NULL) */
    WARC_BLOCK_GONE = 3       /* already read, or no current record (*data NULL) */
} warc_block_status;

/* Loads the current record's block. *data (NUL-terminated for convenience,
 * owned by the reader, valid until the next warc_next()) and *len get the
 * bytes. Call at most once per record. */
warc_block_status warc_read_block(warc_reader *r, const unsigned char **data, size_t *len);

/* NULL after a clean end (or while records are still coming); else one line
 * saying why reading stopped, with the offset. Owned by the reader. */
const char *warc_end_reason(const warc_reader *r);

typedef struct {
    uint64_t records;        /* records returned by warc_next() */
    uint64_t resyncs;        /* times the reader had to search for the next "WARC/" line */
    uint64_t skipped_bytes;  /* bytes skipped while searching (not counting whitespace) */
    uint64_t gzip_members;   /* gzip members started (0 for plain input) */
    uint64_t gzip_skips;     /* corrupt members skipped */
    uint64_t raw_bytes;      /* input bytes consumed so far (compressed size for gzip) */
    uint64_t bytes;          /* decompressed bytes consumed so far */
    int gzip;                /* 1 when the input is gzip-compressed */
} warc_stats_t;

void warc_stats(const warc_reader *r, warc_stats_t *out);

/* ---- HTTP inside a record ------------------------------------------------------ */

enum {
    WARC_HTTP_DECHUNKED = 1u << 0,     /* Transfer-Encoding: chunked was undone */
    WARC_HTTP_NOT_CHUNKED = 1u << 1,   /* said chunked, was stored de-chunked: taken as is */
    WARC_HTTP_BAD_CHUNKS = 1u << 2,    /* chunked data broke off (bad size, missing CRLF, cut) */
    WARC_HTTP_DECODED = 1u << 3,       /* the Content-Encoding was undone */
    WARC_HTTP_NOT_ENCODED = 1u << 4,   /* said encoded, did not decode: taken as stored */
    WARC_HTTP_BAD_ENCODING = 1u << 5,  /* the encoded data broke off mid-way: partial payload */
    WARC_HTTP_UNKNOWN_ENCODING = 1u << 6, /* a Content-Encoding we do not decode: payload as stored */
    WARC_HTTP_CUT = 1u << 7,           /* the decoded payload hit max_payload and was cut there */
    WARC_HTTP_NO_BODY_END = 1u << 8    /* the header block had no blank line: no payload */
};

typedef struct {
    char *name;
    char *value;
} warc_http_field;

typedef struct {
    int status;                 /* status code (responses); 0 for a request */
    char *start_line;           /* "HTTP/1.1 200 OK" / "GET / HTTP/1.1" */
    warc_http_field *fields;    /* headers as written, in order */
    size_t n_fields;
    unsigned char *payload;     /* decoded payload, NUL-terminated (never NULL) */
    size_t payload_len;
    unsigned flags;             /* WARC_HTTP_* */
} warc_http;

/* Parses the HTTP message in block[0..n). Returns 0 and fills *out (free
 * with warc_http_free()), or -1 with a one-line reason in err when the block
 * is not an HTTP message (no "HTTP/" status line or request line, or a header
 * block over 64 KiB); then *out is zeroed. max_payload 0 means 64 MiB. */
int warc_http_parse(const unsigned char *block, size_t n, size_t max_payload, warc_http *out, char *err,
                    size_t errlen);

void warc_http_free(warc_http *h); /* zeroes *h; NULL is a no-op */

/* First header called name (case-insensitive), or NULL. */
const char *warc_http_get(const warc_http *h, const char *name);

/* Every header called name joined with '\n' (as http.h reports repeated
 * X-Robots-Tag lines), malloc'd; NULL when there is none. */
char *warc_http_get_all(const warc_http *h, const char *name);

/* The field lines of a MIME-style header block (a WARC record's or an HTTP
 * message's), p[0..end) after its first line; lines end in LF or CRLF. For
 * each "Name: value" line fn gets the name and value trimmed of spaces and
 * tabs (value trailing CRs too); a line without a colon or with an empty name
 * is skipped. A line that starts with a space or tab is first offered as a
 * folded continuation (name NULL, the trimmed text as value): fn returns 1
 * when it took it, 0 to have it read as a field line instead. fn's return
 * value is ignored for field lines. */
typedef int (*warc_header_fn)(const char *name, size_t name_len, const char *value, size_t value_len, void *ctx);
void warc_header_lines(const char *p, const char *end, warc_header_fn fn, void *ctx);

/* 1 when a Content-Type value names HTML (text/html, application/xhtml+xml;
 * parameters ignored), else 0. NULL gives 0. */
int warc_is_html_type(const char *content_type);

#endif
