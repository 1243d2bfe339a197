/* json.h — a small JSON reader (RFC 8259) producing a tree.
 *
 * json_parse() builds the whole document; the tree owns every string.
 * Objects keep member order; lookups are linear (fine for configs and
 * fixture files; vocab.json with 49k members is read with json_object_each).
 * Numbers are kept as doubles and as their source text.
 */
#ifndef CC_JSON_H
#define CC_JSON_H

#include <stddef.h>
#include <stdint.h>

typedef enum { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json_value json_value;
struct json_value {
    json_type type;
    double number;        /* JSON_NUMBER */
    char *string;         /* JSON_STRING: UTF-8, NUL-terminated (may contain NUL; see len) */
    size_t len;           /* JSON_STRING: byte length; ARRAY/OBJECT: element count */
    json_value **items;   /* ARRAY/OBJECT: elements (object values) */
    char **keys;          /* OBJECT: member names, parallel to items */
};

/* Parses text[0..n). Returns the root, or NULL with a message in err
 * ("line 3 col 7: expected ':'"). Nesting deeper than 512 and strings that
 * are not valid UTF-8 (RFC 8259 8.1) are errors.
 * Free with json_free(). */
json_value *json_parse(const char *text, size_t n, char *err, size_t errlen);
void json_free(json_value *v); /* NULL is a no-op */

/* Object member by name, or NULL (also when v is not an object). */
const json_value *json_get(const json_value *v, const char *key);
/* Array element, or NULL when out of range / not an array. */
const json_value *json_at(const json_value *v, size_t i);
/* Convenience accessors returning def when missing or of another type. */
double json_get_number(const json_value *v, const char *key, double def);
const char *json_get_string(const json_value *v, const char *key, const char *def);
int json_get_bool(const json_value *v, const char *key, int def);

#endif
