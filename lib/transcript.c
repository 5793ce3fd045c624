/* transcript.c — recognised text with layout, and its output formats. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "htr.h"
#include "prep.h"
#include "tag.h"
#include "transcript.h"

static const char *format_names[HTR_NFORMAT] = {
	"text", "tsv", "json", "hocr", "alto", "page"
};

int
htr_format_parse(const char *name)
{
	for (int i = 0; i < HTR_NFORMAT; i++)
		if (!strcmp(name, format_names[i]))
			return i;
	return -1;
}

void
htr_transcript_init(struct htr_transcript *tr)
{
	memset(tr, 0, sizeof *tr);
}

void
htr_transcript_free(struct htr_transcript *tr)
{
	for (long i = 0; i < tr->nline; i++)
		free(tr->line[i].text);
	free(tr->line);
	free(tr->word);
	free(tr->ch);
	memset(tr, 0, sizeof *tr);
}

/* Grows an array to hold one more element. */
static int
grow(void **p, long n, long *cap, size_t size)
{
	void *q;

	if (n < *cap)
		return 0;
	if (!(q = htr_realloc(*p, (size_t)(*cap = 2 * *cap + 16), size)))
		return -1;
	*p = q;
	return 0;
}

static void
box_union(int *a, const int *b, int first)
{
	if (first) {
		memcpy(a, b, 4 * sizeof *a);
		return;
	}
	int x1 = a[0] + a[2], y1 = a[1] + a[3];
	int bx1 = b[0] + b[2], by1 = b[1] + b[3];
	a[0] = b[0] < a[0] ? b[0] : a[0];
	a[1] = b[1] < a[1] ? b[1] : a[1];
	a[2] = (bx1 > x1 ? bx1 : x1) - a[0];
	a[3] = (by1 > y1 ? by1 : y1) - a[1];
}

static int
same_page(const struct htr_tline *l, const char *src, long page)
{
	return !strcmp(l->src, src) && l->page == page;
}

/* Appends s (n bytes) to the line's text. */
static int
text_append(struct htr_tline *l, const char *s, size_t n)
{
	size_t have = l->text ? strlen(l->text) : 0;
	char *p = htr_realloc(l->text, have + n + 1, 1);

	if (!p)
		return -1;
	memcpy(p + have, s, n);
	p[have + n] = 0;
	l->text = p;
	return 0;
}

int
htr_transcript_add(struct htr_transcript *tr, const char *tags,
    const struct htr_decoded *d, const struct htr_alphabet *a, int T)
{
	char src[HTR_TAG_MAX] = "";
	long page = htr_tag_int(tags, "page", 0);
	long line = htr_tag_int(tags, "line", -1);
	struct htr_tline *l = tr->nline ? &tr->line[tr->nline - 1] : NULL;
	int rbox[4], hasbox = htr_tag_box(tags, rbox) == 0, lbox[4];
	/* a line cut from a page htr-prep deskewed: its boxes are turned
	 * back onto the page as scanned */
	char dsk[HTR_TAG_MAX];
	int turn = hasbox && !htr_tag_get(tags, "deskew", dsk, sizeof dsk);
	struct htr_unrotate u;

	if (turn && htr_prep_unrotate_init(&u, dsk))
		return -1;

	htr_tag_get(tags, "src", src, sizeof src);
	if (!l || line < 0 || l->line != line || !same_page(l, src, page)) {
		long index = l && same_page(l, src, page) ? l->index + 1 : 0;
		if (grow((void **)&tr->line, tr->nline, &tr->capline,
		    sizeof *tr->line))
			return -1;
		l = &tr->line[tr->nline++];
		memset(l, 0, sizeof *l);
		memcpy(l->src, src, sizeof l->src);
		l->page = page;
		l->line = line;
		l->index = index;
		l->w0 = tr->nword;
		l->hasbox = hasbox;
		/* frame units: y of this line among the page's lines */
		l->box[1] = (int)(40 * (index < 1000000 ? index : 1000000));
		if (text_append(l, "", 0))
			return -1;
	}
	if (!hasbox) {
		rbox[0] = l->xnext;
		rbox[1] = l->box[1];
		rbox[2] = T;
		rbox[3] = 32;
		l->xnext += T + 8;
	}
	if (!hasbox && l->hasbox) {
		/* a record without box in a line of boxed records: it takes
		 * the line's box (no better guess) */
		memcpy(rbox, l->box, sizeof rbox);
	}
	memcpy(lbox, rbox, sizeof lbox);
	/* on the scan: the crop's ink turned back (scanbox=, set by
	 * htr_segment_crop), else its box's corners */
	if (turn && htr_tag_box_of(tags, "scanbox", lbox))
		htr_prep_unrotate_rect(&u, lbox);
	box_union(l->box, lbox, l->nrec == 0);
	l->nrec++;

	/* the record's text, trimmed, joined to the line by a space */
	int i0 = 0, i1 = d->n;
	while (i0 < i1 && !strcmp(a->sym[d->label[i0]], " "))
		i0++;
	while (i1 > i0 && !strcmp(a->sym[d->label[i1 - 1]], " "))
		i1--;
	if (i1 > i0 && l->text[0] && text_append(l, " ", 1))
		return -1;
	for (int i = i0; i < i1; i++) {
		const char *s = a->sym[d->label[i]];
		if (text_append(l, s, strlen(s)))
			return -1;
	}
	/* words: runs of symbols other than the space */
	struct htr_tword *w = NULL;
	for (int i = i0; i <= i1; i++) {
		const char *s = i < i1 ? a->sym[d->label[i]] : " ";
		if (!strcmp(s, " ")) {
			if (w) {
				w->conf /= (float)w->nc;
				l->conf += w->conf;
				l->nw++;
			}
			w = NULL;
			continue;
		}
		if (!w) {
			if (grow((void **)&tr->word, tr->nword, &tr->capword,
			    sizeof *tr->word))
				return -1;
			w = &tr->word[tr->nword++];
			memset(w, 0, sizeof *w);
			w->c0 = tr->nch;
		}
		if (grow((void **)&tr->ch, tr->nch, &tr->capch, sizeof *tr->ch))
			return -1;
		struct htr_tchar *c = &tr->ch[tr->nch++];
		snprintf(c->s, sizeof c->s, "%s", s);
		c->conf = d->conf[i];
		/* a character reaches halfway to its neighbours' frames */
		long x0 = rbox[0], x1 = (long)rbox[0] + rbox[2];
		if (T > 0) {
			long f0 = 2L * d->start[i], f1 = 2L * d->end[i];
			if (i > 0)
				f0 = d->end[i - 1] + d->start[i];
			if (i + 1 < d->n)
				f1 = d->end[i] + d->start[i + 1];
			x0 = rbox[0] + f0 * rbox[2] / (2L * T);
			x1 = rbox[0] + (f1 * rbox[2] + 2L * T - 1) / (2L * T);
		}
		c->box[0] = (int)x0;
		c->box[1] = rbox[1];
		c->box[2] = x1 > x0 ? (int)(x1 - x0) : 1;
		c->box[3] = rbox[3];
		if (turn)
			htr_prep_unrotate_rect(&u, c->box);
		box_union(w->box, c->box, w->nc == 0);
		w->conf += c->conf;
		w->nc++;
	}
	return 0;
}

/* Escapes for XML text and attributes. */
static void
xml_puts(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				fputc(*s, f);
		}
}

static void
json_puts(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* The text of word w. */
static void
word_text(const struct htr_transcript *tr, const struct htr_tword *w,
    char *buf, size_t n)
{
	size_t k = 0;

	buf[0] = 0;
	for (long i = w->c0; i < w->c0 + w->nc; i++) {
		size_t l = strlen(tr->ch[i].s);
		if (k + l + 1 > n)
			break;
		memcpy(buf + k, tr->ch[i].s, l + 1);
		k += l;
	}
}

static float
line_conf(const struct htr_tline *l)
{
	return l->nw ? l->conf / (float)l->nw : 0;
}

/* End of the page that starts at line l0. */
static long
page_end(const struct htr_transcript *tr, long l0)
{
	long l1 = l0 + 1;

	while (l1 < tr->nline && same_page(&tr->line[l1], tr->line[l0].src,
	    tr->line[l0].page))
		l1++;
	return l1;
}

static void
page_size(const struct htr_transcript *tr, long l0, long l1, int *w, int *h)
{
	*w = *h = 1;
	for (long i = l0; i < l1; i++) {
		const int *b = tr->line[i].box;
		if (b[0] + b[2] > *w)
			*w = b[0] + b[2];
		if (b[1] + b[3] > *h)
			*h = b[1] + b[3];
	}
}

static long
line_no(const struct htr_transcript *tr, long i)
{
	return tr->line[i].line >= 0 ? tr->line[i].line : tr->line[i].index;
}

static void
write_tsv(FILE *f, const struct htr_transcript *tr)
{
	char buf[4096];

	fputs("src\tpage\tline\tword\tbox\tconfidence\ttext\n", f);
	for (long l0 = 0; l0 < tr->nline; l0 = page_end(tr, l0))
		for (long i = l0; i < page_end(tr, l0); i++) {
			const struct htr_tline *l = &tr->line[i];
			for (long k = 0; k < l->nw; k++) {
				const struct htr_tword *w = &tr->word[l->w0 + k];
				word_text(tr, w, buf, sizeof buf);
				for (char *p = buf; *p; p++)
					if (*p == '\t')
						*p = ' ';
				fprintf(f, "%s\t%ld\t%ld\t%ld\t", l->src[0] ?
				    l->src : "-", l->page, line_no(tr, i), k);
				if (l->hasbox)
					fprintf(f, "%d,%d,%d,%d", w->box[0],
					    w->box[1], w->box[2], w->box[3]);
				else
					fputc('-', f);
				fprintf(f, "\t%.4f\t%s\n", w->conf, buf);
			}
		}
}

static void
json_box(FILE *f, const int *b)
{
	fprintf(f, ",\"box\":[%d,%d,%d,%d]", b[0], b[1], b[2], b[3]);
}

static void
write_json(FILE *f, const struct htr_transcript *tr)
{
	char buf[4096];

	fputs("{\"pages\":[", f);
	for (long l0 = 0, np = 0; l0 < tr->nline; l0 = page_end(tr, l0), np++) {
		fprintf(f, "%s\n{\"src\":", np ? "," : "");
		json_puts(f, tr->line[l0].src);
		fprintf(f, ",\"page\":%ld,\"lines\":[", tr->line[l0].page);
		for (long i = l0; i < page_end(tr, l0); i++) {
			const struct htr_tline *l = &tr->line[i];
			fprintf(f, "%s\n {\"line\":%ld", i > l0 ? "," : "",
			    line_no(tr, i));
			if (l->hasbox)
				json_box(f, l->box);
			fprintf(f, ",\"confidence\":%.4f,\"text\":", line_conf(l));
			json_puts(f, l->text);
			fputs(",\"words\":[", f);
			for (long k = 0; k < l->nw; k++) {
				const struct htr_tword *w = &tr->word[l->w0 + k];
				word_text(tr, w, buf, sizeof buf);
				fprintf(f, "%s\n  {\"text\":", k ? "," : "");
				json_puts(f, buf);
				if (l->hasbox)
					json_box(f, w->box);
				fprintf(f, ",\"confidence\":%.4f,\"chars\":[",
				    w->conf);
				for (long c = w->c0; c < w->c0 + w->nc; c++) {
					fputs(c > w->c0 ? ",{\"text\":" :
					    "{\"text\":", f);
					json_puts(f, tr->ch[c].s);
					if (l->hasbox)
						json_box(f, tr->ch[c].box);
					fprintf(f, ",\"confidence\":%.4f}",
					    tr->ch[c].conf);
				}
				fputs("]}", f);
			}
			fputs("]}", f);
		}
		fputs("]}", f);
	}
	fputs("]}\n", f);
}

/* hOCR boxes are x0 y0 x1 y1 with x1, y1 exclusive. */
static void
hocr_bbox(FILE *f, const int *b)
{
	fprintf(f, "bbox %d %d %d %d", b[0], b[1], b[0] + b[2], b[1] + b[3]);
}

static void
write_hocr(FILE *f, const struct htr_transcript *tr)
{
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n"
	    "    \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n"
	    "<html xmlns=\"http://www.w3.org/1999/xhtml\">\n<head>\n"
	    "<title>htr</title>\n"
	    "<meta http-equiv=\"Content-Type\" content=\"text/html; "
	    "charset=utf-8\"/>\n"
	    "<meta name=\"ocr-system\" content=\"htr\"/>\n"
	    "<meta name=\"ocr-capabilities\" content=\"ocr_page ocr_line "
	    "ocrx_word ocrx_cinfo\"/>\n</head>\n<body>\n", f);
	for (long l0 = 0, np = 1; l0 < tr->nline; l0 = page_end(tr, l0), np++) {
		int pw, ph, pb[4] = {0, 0, 0, 0};
		long l1 = page_end(tr, l0);
		page_size(tr, l0, l1, &pw, &ph);
		pb[2] = pw;
		pb[3] = ph;
		fprintf(f, "<div class=\"ocr_page\" id=\"page_%ld\" title=\"", np);
		if (tr->line[l0].src[0]) {
			fputs("image &quot;", f);
			xml_puts(f, tr->line[l0].src);
			fputs("&quot;; ", f);
		}
		hocr_bbox(f, pb);
		fprintf(f, "; ppageno %ld\">\n", tr->line[l0].page);
		for (long i = l0; i < l1; i++) {
			const struct htr_tline *l = &tr->line[i];
			fprintf(f, " <span class=\"ocr_line\" id=\"line_%ld_%ld\" "
			    "title=\"", np, i - l0 + 1);
			hocr_bbox(f, l->box);
			fprintf(f, "; x_wconf %d\">", (int)(100 * line_conf(l) +
			    0.5f));
			for (long k = 0; k < l->nw; k++) {
				const struct htr_tword *w = &tr->word[l->w0 + k];
				fprintf(f, "%s\n  <span class=\"ocrx_word\" "
				    "id=\"word_%ld_%ld_%ld\" title=\"", k ? " " :
				    "", np, i - l0 + 1, k + 1);
				hocr_bbox(f, w->box);
				fprintf(f, "; x_wconf %d\">",
				    (int)(100 * w->conf + 0.5f));
				for (long c = w->c0; c < w->c0 + w->nc; c++) {
					const struct htr_tchar *ch = &tr->ch[c];
					fprintf(f, "<span class=\"ocrx_cinfo\" "
					    "title=\"x_bboxes %d %d %d %d; "
					    "x_conf %.2f\">", ch->box[0],
					    ch->box[1], ch->box[0] + ch->box[2],
					    ch->box[1] + ch->box[3],
					    100 * ch->conf);
					xml_puts(f, ch->s);
					fputs("</span>", f);
				}
				fputs("</span>", f);
			}
			fputs("\n </span>\n", f);
		}
		fputs("</div>\n", f);
	}
	fputs("</body>\n</html>\n", f);
}

static void
alto_box(FILE *f, const int *b)
{
	fprintf(f, " HPOS=\"%d\" VPOS=\"%d\" WIDTH=\"%d\" HEIGHT=\"%d\"", b[0],
	    b[1], b[2], b[3]);
}

static void
write_alto(FILE *f, const struct htr_transcript *tr)
{
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<alto xmlns=\"http://www.loc.gov/standards/alto/ns-v4#\"\n"
	    "    xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
	    "    xsi:schemaLocation=\"http://www.loc.gov/standards/alto/ns-v4# "
	    "http://www.loc.gov/standards/alto/v4/alto-4-2.xsd\">\n"
	    "<Description>\n<MeasurementUnit>pixel</MeasurementUnit>\n"
	    "<sourceImageInformation><fileName>", f);
	if (tr->nline)
		xml_puts(f, tr->line[0].src);
	fputs("</fileName></sourceImageInformation>\n"
	    "<OCRProcessing ID=\"ocr_0\"><ocrProcessingStep>"
	    "<processingSoftware><softwareName>htr</softwareName>"
	    "</processingSoftware></ocrProcessingStep></OCRProcessing>\n"
	    "</Description>\n<Layout>\n", f);
	for (long l0 = 0, np = 1; l0 < tr->nline; l0 = page_end(tr, l0), np++) {
		int pb[4] = {0, 0, 1, 1};
		long l1 = page_end(tr, l0);
		page_size(tr, l0, l1, &pb[2], &pb[3]);
		fprintf(f, "<Page ID=\"p%ld\" PHYSICAL_IMG_NR=\"%ld\" "
		    "WIDTH=\"%d\" HEIGHT=\"%d\">\n<PrintSpace", np, np,
		    pb[2], pb[3]);
		alto_box(f, pb);
		fprintf(f, ">\n<TextBlock ID=\"p%ld_b1\"", np);
		int bb[4] = {0, 0, 1, 1};
		for (long i = l0; i < l1; i++)
			box_union(bb, tr->line[i].box, i == l0);
		alto_box(f, bb);
		fputs(">\n", f);
		for (long i = l0; i < l1; i++) {
			const struct htr_tline *l = &tr->line[i];
			fprintf(f, " <TextLine ID=\"p%ld_l%ld\"", np, i - l0 + 1);
			alto_box(f, l->box);
			fputs(">\n", f);
			/* ALTO wants a String in every line: an empty one for a
			 * line read as nothing */
			if (l->nw == 0) {
				fprintf(f, "  <String ID=\"p%ld_l%ld_w1\" "
				    "CONTENT=\"\"", np, i - l0 + 1);
				alto_box(f, l->box);
				fputs("/>\n", f);
			}
			for (long k = 0; k < l->nw; k++) {
				const struct htr_tword *w = &tr->word[l->w0 + k];
				char buf[4096];
				if (k) {
					const struct htr_tword *v = w - 1;
					int x = v->box[0] + v->box[2];
					fprintf(f, "  <SP WIDTH=\"%d\" VPOS=\"%d\" "
					    "HPOS=\"%d\"/>\n", w->box[0] > x ?
					    w->box[0] - x : 1, l->box[1], x);
				}
				word_text(tr, w, buf, sizeof buf);
				fprintf(f, "  <String ID=\"p%ld_l%ld_w%ld\" "
				    "CONTENT=\"", np, i - l0 + 1, k + 1);
				xml_puts(f, buf);
				fputc('"', f);
				alto_box(f, w->box);
				fprintf(f, " WC=\"%.4f\">\n", w->conf);
				for (long c = w->c0; c < w->c0 + w->nc; c++) {
					fprintf(f, "   <Glyph ID=\"p%ld_l%ld_w%ld_g%ld\" "
					    "CONTENT=\"", np, i - l0 + 1, k + 1,
					    c - w->c0 + 1);
					xml_puts(f, tr->ch[c].s);
					fputc('"', f);
					alto_box(f, tr->ch[c].box);
					fprintf(f, " GC=\"%.4f\"/>\n",
					    tr->ch[c].conf);
				}
				fputs("  </String>\n", f);
			}
			fputs(" </TextLine>\n", f);
		}
		fputs("</TextBlock>\n</PrintSpace>\n</Page>\n", f);
	}
	fputs("</Layout>\n</alto>\n", f);
}

static void
page_coords(FILE *f, const int *b, const char *indent)
{
	int x1 = b[0] + b[2] - 1, y1 = b[1] + b[3] - 1;

	fprintf(f, "%s<Coords points=\"%d,%d %d,%d %d,%d %d,%d\"/>\n", indent,
	    b[0], b[1], x1, b[1], x1, y1, b[0], y1);
}

static void
page_equiv(FILE *f, const char *text, float conf, const char *indent)
{
	fprintf(f, "%s<TextEquiv conf=\"%.4f\"><Unicode>", indent, conf);
	xml_puts(f, text);
	fputs("</Unicode></TextEquiv>\n", f);
}

static int
write_page(FILE *f, const struct htr_transcript *tr)
{
	char when[32] = "1970-01-01T00:00:00";
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	time_t now = sde ? (time_t)strtoll(sde, NULL, 10) : time(NULL);
	struct tm tm;
	int pw, ph, rb[4] = {0, 0, 1, 1};

	if (tr->nline && page_end(tr, 0) < tr->nline)
		return htr_fail("PAGE XML describes one page image and the "
		    "stream holds several (src=%s page=%ld, src=%s page=%ld); "
		    "decode one page at a time", tr->line[0].src,
		    tr->line[0].page, tr->line[page_end(tr, 0)].src,
		    tr->line[page_end(tr, 0)].page);
	if (gmtime_r(&now, &tm))
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	page_size(tr, 0, tr->nline, &pw, &ph);
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<PcGts xmlns=\"http://schema.primaresearch.org/PAGE/gts/"
	    "pagecontent/2019-07-15\"\n"
	    "    xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"\n"
	    "    xsi:schemaLocation=\"http://schema.primaresearch.org/PAGE/gts/"
	    "pagecontent/2019-07-15 http://schema.primaresearch.org/PAGE/gts/"
	    "pagecontent/2019-07-15/pagecontent.xsd\">\n"
	    "<Metadata><Creator>htr</Creator><Created>%s</Created>"
	    "<LastChange>%s</LastChange></Metadata>\n<Page imageFilename=\"",
	    when, when);
	xml_puts(f, tr->nline ? tr->line[0].src : "");
	fprintf(f, "\" imageWidth=\"%d\" imageHeight=\"%d\">\n", pw, ph);
	if (tr->nline) {
		for (long i = 0; i < tr->nline; i++)
			box_union(rb, tr->line[i].box, i == 0);
		fputs("<TextRegion id=\"r1\">\n", f);
		page_coords(f, rb, " ");
		float rc = 0;
		for (long i = 0; i < tr->nline; i++) {
			const struct htr_tline *l = &tr->line[i];
			fprintf(f, " <TextLine id=\"r1_l%ld\">\n", i + 1);
			page_coords(f, l->box, "  ");
			for (long k = 0; k < l->nw; k++) {
				const struct htr_tword *w = &tr->word[l->w0 + k];
				char buf[4096];
				fprintf(f, "  <Word id=\"r1_l%ld_w%ld\">\n", i + 1,
				    k + 1);
				page_coords(f, w->box, "   ");
				for (long c = w->c0; c < w->c0 + w->nc; c++) {
					fprintf(f, "   <Glyph id=\"r1_l%ld_w%ld_g%ld\">\n",
					    i + 1, k + 1, c - w->c0 + 1);
					page_coords(f, tr->ch[c].box, "    ");
					page_equiv(f, tr->ch[c].s, tr->ch[c].conf,
					    "    ");
					fputs("   </Glyph>\n", f);
				}
				word_text(tr, w, buf, sizeof buf);
				page_equiv(f, buf, w->conf, "   ");
				fputs("  </Word>\n", f);
			}
			page_equiv(f, l->text, line_conf(l), "  ");
			fputs(" </TextLine>\n", f);
			rc += line_conf(l);
		}
		/* the region's text: its lines, one per line */
		fprintf(f, " <TextEquiv conf=\"%.4f\"><Unicode>",
		    rc / (float)tr->nline);
		for (long i = 0; i < tr->nline; i++) {
			if (i)
				fputc('\n', f);
			xml_puts(f, tr->line[i].text);
		}
		fputs("</Unicode></TextEquiv>\n</TextRegion>\n", f);
	}
	fputs("</Page>\n</PcGts>\n", f);
	return 0;
}

int
htr_transcript_write(FILE *f, const struct htr_transcript *tr, int format)
{
	switch (format) {
	case HTR_FORMAT_TEXT:
		for (long i = 0; i < tr->nline; i++)
			fprintf(f, "%s\n", tr->line[i].text);
		break;
	case HTR_FORMAT_TSV:
		write_tsv(f, tr);
		break;
	case HTR_FORMAT_JSON:
		write_json(f, tr);
		break;
	case HTR_FORMAT_HOCR:
		write_hocr(f, tr);
		break;
	case HTR_FORMAT_ALTO:
		write_alto(f, tr);
		break;
	case HTR_FORMAT_PAGE:
		if (write_page(f, tr))
			return -1;
		break;
	default:
		return htr_fail("unknown output format %d", format);
	}
	return ferror(f) ? htr_fail("write error") : 0;
}
