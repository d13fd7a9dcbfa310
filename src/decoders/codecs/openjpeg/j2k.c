/*
 * The C side of src/decoders/codecs/jpeg2000.ts: OpenJPEG's decoder over one code stream held in
 * this module's memory, exposing the first component's int32 samples in place (no conversion,
 * no copy). One decode at a time; the input buffer is kept and reused between calls.
 */
#include <stdlib.h>
#include <string.h>
#include "openjpeg.h"

#define EXPORT __attribute__((used, visibility("default")))

typedef struct { const unsigned char *data; size_t len, pos; } membuf;

static OPJ_SIZE_T mem_read(void *dst, OPJ_SIZE_T n, void *user) {
  membuf *m = (membuf *)user;
  size_t left = m->len - m->pos;
  if (left == 0) return (OPJ_SIZE_T)-1;
  if (n > left) n = left;
  memcpy(dst, m->data + m->pos, n);
  m->pos += n;
  return n;
}

static OPJ_OFF_T mem_skip(OPJ_OFF_T n, void *user) {
  membuf *m = (membuf *)user;
  if (n < 0) return -1;
  size_t left = m->len - m->pos;
  if ((size_t)n > left) n = (OPJ_OFF_T)left;
  m->pos += (size_t)n;
  return n;
}

static OPJ_BOOL mem_seek(OPJ_OFF_T n, void *user) {
  membuf *m = (membuf *)user;
  if (n < 0 || (size_t)n > m->len) return OPJ_FALSE;
  m->pos = (size_t)n;
  return OPJ_TRUE;
}

static unsigned char *input;
static size_t input_cap;
static opj_image_t *image;
static char error[256];

static void on_error(const char *msg, void *user) {
  (void)user;
  /* Keep the first error: OpenJPEG's later messages only say that decoding stopped. */
  if (error[0]) return;
  strncpy(error, msg, sizeof error - 1);
  size_t n = strlen(error);
  while (n > 0 && (error[n - 1] == '\n' || error[n - 1] == ' ')) error[--n] = 0;
}

static void ignore(const char *msg, void *user) { (void)msg; (void)user; }

/* A buffer of at least len bytes for the code stream (NULL when memory runs out). */
EXPORT unsigned char *j2k_input(size_t len) {
  if (len > input_cap) {
    free(input);
    input = malloc(len);
    input_cap = input ? len : 0;
  }
  return input;
}

EXPORT void j2k_release(void) {
  if (image) opj_image_destroy(image);
  image = NULL;
}

/* Decodes the len bytes in the input buffer. 0 on success; otherwise j2k_error() says why. */
EXPORT int j2k_decode(size_t len) {
  j2k_release();
  error[0] = 0;
  if (!input || len > input_cap) {
    strcpy(error, "no input buffer");
    return 1;
  }
  membuf m = {input, len, 0};
  opj_codec_t *codec = opj_create_decompress(OPJ_CODEC_J2K);
  opj_stream_t *s = opj_stream_create(len < (1u << 20) ? (len ? len : 1) : (1u << 20), OPJ_TRUE);
  if (!codec || !s) {
    if (s) opj_stream_destroy(s);
    if (codec) opj_destroy_codec(codec);
    strcpy(error, "out of memory");
    return 1;
  }
  opj_set_error_handler(codec, on_error, NULL);
  opj_set_warning_handler(codec, ignore, NULL);
  opj_set_info_handler(codec, ignore, NULL);
  opj_stream_set_user_data(s, &m, NULL);
  opj_stream_set_user_data_length(s, len);
  opj_stream_set_read_function(s, mem_read);
  opj_stream_set_skip_function(s, mem_skip);
  opj_stream_set_seek_function(s, mem_seek);
  opj_dparameters_t p;
  opj_set_default_decoder_parameters(&p);
  opj_image_t *img = NULL;
  int rc = 0;
  if (!opj_setup_decoder(codec, &p) || !opj_read_header(s, codec, &img)) rc = 2;
  else if (!opj_decode(codec, s, img) || !opj_end_decompress(codec, s)) rc = 3;
  else if (img->numcomps < 1 || !img->comps[0].data) rc = 4;
  opj_stream_destroy(s);
  opj_destroy_codec(codec);
  if (rc) {
    if (img) opj_image_destroy(img);
    if (!error[0]) strcpy(error, rc == 4 ? "no image data" : "not a decodable JPEG 2000 code stream");
    return rc;
  }
  image = img;
  return 0;
}

EXPORT const char *j2k_error(void) { return error; }
EXPORT int *j2k_samples(void) { return image ? image->comps[0].data : NULL; }
EXPORT unsigned j2k_width(void) { return image ? image->comps[0].w : 0; }
EXPORT unsigned j2k_height(void) { return image ? image->comps[0].h : 0; }
EXPORT unsigned j2k_components(void) { return image ? image->numcomps : 0; }
