/* image-internal.h — shared by image*.c only (not a public header). */
#ifndef CC_FILTERS_IMAGE_INTERNAL_H
#define CC_FILTERS_IMAGE_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>
#include <turbojpeg.h>

void img_seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* This thread's TurboJPEG handles (created on first use, freed at thread exit). */
tjhandle img_tj_decompressor(void);
tjhandle img_tj_compressor(void);

#endif
