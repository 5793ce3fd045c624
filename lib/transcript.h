/* transcript.h — recognised text with its layout (pages, lines, words,
 * characters, boxes, confidences) and its output formats: plain text,
 * TSV, JSON, hOCR, ALTO and PAGE XML (man/htr-ctcdecode.1 documents them).
 *
 * Decoded records are added in stream order.  A record's tags say where it
 * belongs: consecutive records with the same src=, page= and line= form one
 * line (word crops of a line); a record without line= is a line of its
 * own.  Records with a box= tag give every character the part of the box
 * its frames cover; without one, positions are in frames (x) and lines are
 * stacked 40 units apart (y).
 */
#ifndef HTR_TRANSCRIPT_H
#define HTR_TRANSCRIPT_H

#include <stdio.h>

#include "alphabet.h"
#include "decode.h"

/* Output formats; HTR_FORMAT_NAMES lists their names in this order. */
enum htr_format {
	HTR_FORMAT_TEXT,
	HTR_FORMAT_TSV,
	HTR_FORMAT_JSON,
	HTR_FORMAT_HOCR,
	HTR_FORMAT_ALTO,
	HTR_FORMAT_PAGE,
	HTR_NFORMAT
};
#define HTR_FORMAT_NAMES "text, tsv, json, hocr, alto, page"

struct htr_tchar {
	char s[HTR_SYMBOL_MAX + 1];     /* the symbol, UTF-8 */
	int box[4];                     /* x, y, w, h */
	float conf;                     /* 0..1 */
};

struct htr_tword {
	long c0, nc;                    /* its characters */
	int box[4];
	float conf;                     /* mean of its characters' */
};

struct htr_tline {
	char src[HTR_TAG_MAX];          /* src= of its records ("" if none) */
	long page;                      /* page=, 0 if none */
	long line;                      /* line=, -1 if none */
	long index;                     /* index of the line on its page */
	long w0, nw;                    /* its words */
	int box[4];                     /* union of its records' boxes */
	int hasbox;                     /* 1 if the records had box= tags */
	int nrec;                       /* records in the line */
	int xnext;                      /* frame-unit x of the next record
	                                 * (records without box=) */
	char *text;                     /* the line as decoded (records joined
	                                 * by a space), NUL-terminated */
	float conf;                     /* mean of its words' */
};

struct htr_transcript {
	struct htr_tline *line;
	long nline, capline;
	struct htr_tword *word;
	long nword, capword;
	struct htr_tchar *ch;
	long nch, capch;
};

void htr_transcript_init(struct htr_transcript *tr);
void htr_transcript_free(struct htr_transcript *tr);
/* Adds the decoding of one record of T frames (tags: the record's tags; a:
 * the alphabet of d's labels).  Returns 0 or -1 (htr_fail). */
int  htr_transcript_add(struct htr_transcript *tr, const char *tags,
	const struct htr_decoded *d, const struct htr_alphabet *a, int T);
/* enum htr_format of a name, or -1. */
int  htr_format_parse(const char *name);
/* Writes the whole transcript in a format.  Returns 0 or -1 (htr_fail:
 * write error; PAGE XML of more than one page). */
int  htr_transcript_write(FILE *f, const struct htr_transcript *tr,
	int format);

#endif
