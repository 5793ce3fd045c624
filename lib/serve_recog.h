/* serve_recog.h — what htr-serve asks of the recognition pipeline: one
 * loaded model, and one call that turns an uploaded image (bytes in
 * memory) into lines, words, boxes, confidences, text and timings.
 *
 * This is the seam between the server and lib/pipeline: the server only
 * ever calls these functions, from several worker threads at once (a
 * struct htr_recog is shared read-only between them).
 */
#ifndef HTR_SERVE_RECOG_H
#define HTR_SERVE_RECOG_H

#include <stddef.h>

/* Decoders, as named in requests ("best", "beam", "word"). */
enum htr_recog_decoder {
	HTR_RECOG_BEST,         /* best path */
	HTR_RECOG_BEAM,         /* prefix beam search */
	HTR_RECOG_WORD          /* word beam search (needs a dictionary) */
};

/* Result formats besides the JSON reply itself ("json" = none). */
enum htr_recog_format {
	HTR_RECOG_JSON,
	HTR_RECOG_TEXT,
	HTR_RECOG_TSV,
	HTR_RECOG_HOCR,
	HTR_RECOG_ALTO
};

/* Image formats found by htr_recog_probe(). */
enum htr_recog_imgtype {
	HTR_IMG_PNG,
	HTR_IMG_JPEG,
	HTR_IMG_PNM
};

struct htr_recog_opts {
	int decoder;            /* enum htr_recog_decoder */
	int beam;               /* beam width, 1..HTR_RECOG_BEAM_MAX */
	int format;             /* enum htr_recog_format */
	long max_pixels;        /* largest image accepted, pixels */
};
#define HTR_RECOG_BEAM_MAX 1000

struct htr_recog_word {
	char *text;             /* UTF-8 */
	int box[4];             /* x, y, w, h in image pixels */
	float conf;             /* 0..1 */
};

struct htr_recog_line {
	char *text;
	int box[4];
	float conf;
	int w0, nw;             /* its words: word[w0 .. w0 + nw) */
};

struct htr_recog_result {
	int width, height;              /* of the decoded image */
	int box_width, box_height;      /* of the image the boxes refer to
	                                 * (the preprocessed one) */
	int nline, nword;
	struct htr_recog_line *line;    /* [nline], reading order */
	struct htr_recog_word *word;    /* [nword] */
	char *text;                     /* lines joined by '\n' */
	char *output;                   /* the text in opts.format, or NULL */
	size_t noutput;
	/* Milliseconds spent decoding the image file, preprocessing,
	 * segmenting, running the network, decoding CTC; and in all. */
	double ms_image, ms_prep, ms_segment, ms_recognize, ms_decode;
	double ms_total;
};

/* Status classes of a failed htr_recog_run(), as HTTP codes. */
#define HTR_RECOG_EBADIMAGE   400   /* the image cannot be decoded */
#define HTR_RECOG_ETOOLARGE   413   /* more pixels than allowed */
#define HTR_RECOG_EUNPROC     422   /* e.g. word beam without dictionary */
#define HTR_RECOG_EINTERNAL   500   /* out of memory, a library failure */
#define HTR_RECOG_EUNAVAIL    503   /* no recognition pipeline or model */

struct htr_recog;

struct htr_recog_config {
	const char *model;      /* model file; NULL: the default line model */
	const char *argv0;      /* the program's argv[0], to find it */
	const char *corpus;     /* word beam search dictionary, or NULL */
	const char *lm;         /* character LM for beam search, or NULL */
	const char *mix;        /* second line model of an ensemble, or
	                         * NULL (htr_pipeline_opts mix) */
	double mix_weight;      /* the model's share of the mix (0..1) */
	int nslot;              /* threads that may run at once (>= 1) */
};

/* Name of a decoder / format, and back (-1 if unknown). */
const char *htr_recog_decoder_name(int decoder);
int  htr_recog_decoder_parse(const char *name);
const char *htr_recog_format_name(int format);
int  htr_recog_format_parse(const char *name);
/* MIME type of a result format, e.g. "text/tab-separated-values". */
const char *htr_recog_format_mime(int format);
void htr_recog_defaults(struct htr_recog_opts *o);

/* Identifies the image in data [len] from its magic bytes and, where the
 * header is complete, its size (*w, *h; 0 when the header is too short or
 * malformed to tell, leaving the verdict to the decoder).  Returns the
 * enum htr_recog_imgtype, or -1 (htr_fail) if it is no PNG, JPEG or PNM. */
int  htr_recog_probe(const unsigned char *data, size_t len, long *w,
	long *h);

/* 1 if this build can recognise (it has the pipeline), else 0. */
int  htr_recog_available(void);
/* The model file htr_recog_open() loads for c->model == NULL, into path
 * (size n).  0, or -1 (htr_fail naming every place looked; path then
 * holds the first of them). */
int  htr_recog_default_model(char *path, size_t n, const char *argv0);
/* Loads the model (one copy per slot: the network of a model runs on one
 * thread at a time) and the decoders' files.  NULL (htr_fail naming the
 * file) if one is missing or bad. */
struct htr_recog *htr_recog_open(const struct htr_recog_config *c);
void htr_recog_close(struct htr_recog *r);
/* What the model is, as a JSON object ("{...}"), for /v1/models and
 * /healthz; the caller frees it.  NULL when out of memory. */
char *htr_recog_describe(const struct htr_recog *r);

/* Decodes the image in data [len] and recognises it with model r (NULL:
 * none loaded).  Returns 0, or -1 (htr_fail) with *status one of the
 * HTR_RECOG_E* codes.  Thread-safe. */
int  htr_recog_run(struct htr_recog *r, const unsigned char *data,
	size_t len, const struct htr_recog_opts *o,
	struct htr_recog_result *res, int *status);
void htr_recog_result_free(struct htr_recog_result *res);

#endif
