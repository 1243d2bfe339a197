/* safetensors.h — a checked, read-only reader for .safetensors files.
 *
 * Format: an 8-byte little-endian header length N, N bytes of JSON
 * ({"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
 * "__metadata__": {str: str}}), then the data section; offsets are relative
 * to its start. The file is mmapped; st_open() validates everything before
 * any tensor is touched: header length within the file, the JSON, every
 * dtype known, shapes non-negative and not overflowing, end-begin equal to
 * numel × element size, offsets within the data section and no two tensors
 * overlapping. After that no access can read outside the mapping.
 *
 * Errors are one line naming the file and, where it applies, the tensor.
 */
#ifndef CC_CLIPSCORE_SAFETENSORS_H
#define CC_CLIPSCORE_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define ST_MAX_DIMS 8

typedef enum {
    ST_F32 = 0, ST_F16, ST_BF16, ST_F64,
    ST_I64, ST_I32, ST_I16, ST_I8, ST_U8, ST_U16, ST_U32, ST_U64, ST_BOOL,
    ST_F8_E4M3, ST_F8_E5M2
} st_dtype;

typedef struct {
    const char *name;              /* owned by the file */
    st_dtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    int64_t numel;
    size_t nbytes;
    const unsigned char *data;     /* into the mapping; not necessarily aligned */
} st_tensor;

typedef struct st_file st_file;

/* Opens and validates path. NULL on failure with a message in err. */
st_file *st_open(const char *path, char *err, size_t errlen);
void st_close(st_file *f); /* NULL is a no-op; unmaps */

const char *st_path(const st_file *f);
size_t st_count(const st_file *f);
const st_tensor *st_at(const st_file *f, size_t i);
/* Tensor by exact name, or NULL. */
const st_tensor *st_find(const st_file *f, const char *name);
/* Value of a "__metadata__" string key, or NULL. */
const char *st_metadata(const st_file *f, const char *key);
/* The raw header bytes (for identity hashing). */
const unsigned char *st_header(const st_file *f, size_t *len);
uint64_t st_file_size(const st_file *f);

const char *st_dtype_name(st_dtype d);
int st_dtype_is_float(st_dtype d);  /* F32, F16, BF16, F64 */

/* Converts t to numel float32 values in out (F16/BF16 upcast exactly; F64
 * rounded). Returns 0, or -1 (message naming file + tensor) if t is not a
 * floating-point tensor. */
int st_to_f32(const st_file *f, const st_tensor *t, float *out, char *err, size_t errlen);

/* Finds name, checks it is floating point and has exactly the given shape
 * (ndim dims), and returns an xmalloc'ed float32 copy (caller frees).
 * NULL with "FILE: tensor 'NAME': missing" / "...: shape [..], expected [..]". */
float *st_load_f32(const st_file *f, const char *name, int ndim, const int64_t *shape, char *err, size_t errlen);

/* IEEE half / bfloat16 bits to float (exact). */
float st_bf16_to_f32(uint16_t h);

#endif
