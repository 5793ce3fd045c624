/* segment.h — page segmentation: a page image into text lines, words and
 * characters, in reading order.
 *
 * The page is binarised (Sauvola, lib/prep; regions darker than 40% of
 * the paper's level are solid border) and ruled lines are erased.  The ink is cut into
 * 8-connected components; the scale (typical component height) and the
 * line pitch (period of the row profiles) are measured on the page.
 * Components touching the page edge, solid blobs (punch holes), single
 * long strokes, dashes (line fillers), broken rules and
 * specks are set aside; frames (very tall components) are too, except
 * their ink next to a text line (words the frame runs into), unless drawn
 * thick (a dark band round the page).  Text lines are ridges of the
 * stroke density (the starts of horizontal ink runs) blurred much more
 * along x than along y, traced column by column, so skewed and curving
 * lines are followed.
 * Every component goes to the line whose ridge it crosses or lies nearest
 * to; a component that crosses two ridges (an ascender touching a
 * descender) is split pixel by pixel between them; ink farther than 0.6
 * pitch from its ridge is dropped.  A line is split at gaps wider than
 * 3 pitches, and a line sticking out left of the text at a narrower gap
 * at the text's left edge (a margin note, a stamp or sideways writing on
 * its row; the edge is where the runs of ink of most lines start
 * aligned); lines with more than 1.6 times the strokes per column of
 * the median line (stamps, print), lines wholly outside the
 * span of the median line (margin notes), low lines (small print), lines
 * narrower than 0.35 of the median line (stamps, page numbers) and lines
 * narrower than the median line away from the text block (letterheads,
 * registration stamps) and groups of three or more lines each less than
 * 0.7 line spacings from another (printed stamps, registration notes
 * written small) are dropped, and so is the topmost line when it lies
 * within 1.5 line spacings of the page's top and is narrower than 0.65
 * of the median line (a folio note or page number; only on pages at
 * least 12 spacings high).  Line boxes leave out the top and
 * bottom 0.5% of the line's ink, then the rows above and below, more
 * than 0.4 pitch from the ridge, with less than 3% of the ink of the
 * line's densest row (flourishes, loops), and a line's last columns
 * when more than a pitch of them hold a single thin stroke (a line-end
 * filler).  Words are runs of ink
 * separated by gaps wider than a threshold found by 2-means over the
 * page's gap widths; characters are column runs inside a word, wide runs
 * cut at minima of the vertical projection. */
#ifndef HTR_SEGMENT_H
#define HTR_SEGMENT_H

#include <stdio.h>

#include "image.h"

enum htr_segment_level {
	HTR_SEGMENT_LINE,
	HTR_SEGMENT_WORD,
	HTR_SEGMENT_CHAR
};

/* One line, word or character.  Indexes are 0-based in reading order;
 * word and ch are -1 where they do not apply (a line has neither). */
struct htr_segment_item {
	int box[4];      /* x, y, w, h: bounding box of its ink, page pixels */
	int line, word, ch;
	int doubt;       /* 1: a line the layout rules out (below) */
};

struct htr_segment {
	int w, h;                        /* page size */
	int nline, nword, nchar;
	struct htr_segment_item *lines;  /* [nline] */
	struct htr_segment_item *words;  /* [nword], grouped by line */
	struct htr_segment_item *chars;  /* [nchar], grouped by word */
	/* [h][w]: for every pixel, 0 = paper, -1 = ink that was dropped
	 * (border, frame, speck), k > 0 = ink of line k - 1. */
	int *owner;
	double height;   /* typical component height, pixels (the scale) */
	double pitch;    /* line pitch, pixels */
	double gap;      /* word gap threshold used, pixels */
};

/* Segments a page (ink dark on light) down to 'level'.  Words and chars are
 * only filled at those levels.  A page without ink gives nline = 0.
 * With 'doubtful' set, the lines the layout filters above drop (busy,
 * margin notes, narrow lines, lines away from the text block, the
 * folio note) are kept in reading order with doubt = 1: some are real
 * text (headings, signatures, notes in the margin), more are stamps and
 * scribbles, and a caller that reads the lines can keep those it reads
 * confidently (htr(1)'s -doubt-conf).  Returns 0, or -1 (htr_fail) when out of
 * memory. */
int  htr_segment_page(struct htr_segment *s, const struct htr_image *page,
	enum htr_segment_level level, int doubtful);
void htr_segment_free(struct htr_segment *s);

/* Cuts item 'it' of s out of 'page' with 'margin' pixels around its box
 * (clipped to the page).  Ink of other lines, and the pixels touching it,
 * is whited out; for words and characters so is the line's ink outside
 * the item's box.  Dropped ink (owner -1) stays: it holds the tips of
 * flourishes and descenders clipped off the line as well as frames and
 * stamps, and the line model reads the crops better with it
 * (bench/page.sh: page CER 21.3 % on the valid pages against 22.5 % with
 * it whited out).  crop->tags gets box= (the crop's rectangle in page
 * coordinates), line=, and word= and char= where they apply, doubt=1 for
 * the items of a doubtful line; on a page
 * with a deskew= tag also scanbox=, the item's ink inside its box turned
 * back onto the page as scanned and grown by margin (htr-segment(1)).
 * Other tags are left to the caller.  Returns 0 or -1 (htr_fail). */
int  htr_segment_crop(struct htr_image *crop, const struct htr_segment *s,
	const struct htr_image *page, const struct htr_segment_item *it,
	int margin);

/* Puts the tags a crop of page 'pageno' of file 'src' carries in front of
 * its own ('tags', HTR_TAG_MAX bytes, as htr_segment_crop set them): src=
 * ("-" when src is NULL or empty), page=, and the page's deskew= from
 * 'pagetags', with which its boxes are turned back onto the scan as it
 * was.  Returns 0, or -1 (htr_fail) when they do not fit. */
int  htr_segment_crop_tags(char *tags, const char *src, long pageno,
	const char *pagetags);

/* Writes the page as a binary PPM (P6) with the boxes drawn: lines red
 * (doubtful ones orange), words blue, characters green; the ink of each
 * line is tinted, magenta and cyan alternately, dropped ink yellow.
 * Returns 0 or -1 (htr_fail). */
int  htr_segment_draw(FILE *f, const struct htr_segment *s,
	const struct htr_image *page);

/* Intersection over union of two x,y,w,h boxes. */
double htr_segment_iou(const int a[4], const int b[4]);
/* Matches found boxes to true boxes one to one (greedily, highest IoU
 * first) and counts the pairs with IoU >= min_iou.  Returns the number of
 * matches, or -1 (htr_fail) when out of memory. */
int  htr_segment_match(const int (*found)[4], int nfound,
	const int (*truth)[4], int ntruth, double min_iou);

#endif
