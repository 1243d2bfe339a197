/* rows-out.h — printing the rows of a dataset query (dataset/rows.h) as a table, JSON
 * lines, CSV or TSV (query, and any command that lists samples).
 *
 *   table  aligned columns for people; control characters shown as spaces,
 *          cells cut at 60 characters; "(N rows)" on stderr
 *   jsonl  one JSON object per row; numbers stay numbers, NULL is null,
 *          blobs (embeddings) are hex strings
 *   csv    RFC 4180 quoting, "\n" line endings, a header line unless turned off
 *   tsv    tab-separated; tab, newline, carriage return and backslash inside a
 *          value written as \t \n \r \\ (so a row is always one line); NULL is
 *          an empty field; a header line unless turned off */
#ifndef CC_CLI_ROWS_OUT_H
#define CC_CLI_ROWS_OUT_H

#include <stdio.h>

#include "rows.h"

typedef enum { ROWS_TABLE, ROWS_JSONL, ROWS_CSV, ROWS_TSV } rows_format;

/* Parses "table", "jsonl", "csv" or "tsv"; -1 if unknown. */
int rows_format_parse(const char *name);

/* Steps st to the end, printing each row to out. header = 0 leaves the
 * header line out (csv, tsv, table). Returns the number of rows printed, or
 * -1 when a step failed (dataset_rows_errmsg says why; the rows before it
 * were printed). */
long rows_out(dataset_rows *st, rows_format fmt, int header, FILE *out);

#endif
