/* htr-segment — cuts page images into text lines, words or characters.
 *
 *	htr-segment [-level line|word|char] [-margin N] [-doubtful]
 *	    [-draw FILE] [-verbose] [file ...]
 *
 * Reads a stream of page images (best: PGMs as htr-prep writes them; any
 * format htr_image_read knows) and writes one crop PGM per line, word or
 * character, in reading order, each tagged
 * "# htr src= page= line= [word= char=] box=".  -doubtful adds the lines
 * the layout filters rule out, tagged doubt=1. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "htr.h"
#include "image.h"
#include "segment.h"

/* Writes every crop of one page; returns 0 or -1 (htr_fail). */
static int
write_crops(const struct htr_segment *s, const struct htr_image *page,
    enum htr_segment_level level, int margin, const char *src, long pageno)
{
	const struct htr_segment_item *v = s->lines;
	int n = s->nline;
	struct htr_image crop;

	if (level == HTR_SEGMENT_WORD) {
		v = s->words;
		n = s->nword;
	} else if (level == HTR_SEGMENT_CHAR) {
		v = s->chars;
		n = s->nchar;
	}
	for (int i = 0; i < n; i++) {
		if (htr_segment_crop(&crop, s, page, &v[i], margin))
			return -1;
		/* src= page= (deskew=) first, then line= word= char= box= */
		if (htr_segment_crop_tags(crop.tags, src, pageno, page->tags)) {
			htr_image_free(&crop);
			return htr_fail_prefix("crop");
		}
		if (htr_pgm_write(stdout, &crop)) {
			htr_image_free(&crop);
			return htr_fail_prefix("stdout");
		}
		htr_image_free(&crop);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *levelarg = "line", *drawfile = NULL;
	unsigned int levelspec = 0, drawspec = 0, verbose = 0, marginspec = 0,
	    doubtful = 0;
	int margin = -1, nin;
	enum htr_segment_level level = HTR_SEGMENT_LINE;
	FILE *draw = NULL;
	long pageno = 0;
	HTR_CLI_OPTIONS;

	htr_cli_init("htr-segment", "[-level line|word|char] [-margin N] "
	    "[-doubtful] [-draw FILE] [-verbose] [file ...]");
	OPTENT3(0, "level", OPT_STRING, &levelarg, &levelspec, 0);
	OPTENT3(0, "margin", OPT_INT, &margin, &marginspec, 0);
	OPTENT3(0, "doubtful", OPT_FLAG, NULL, &doubtful, 0);
	OPTENT3(0, "draw", OPT_STRING, &drawfile, &drawspec, 0);
	OPTENT3(0, "verbose", OPT_FLAG, NULL, &verbose, 0);
	htr_cli_parse(&argc, argv, option_def);
	(void)levelspec;
	(void)drawspec;
	if (!strcmp(levelarg, "line"))
		level = HTR_SEGMENT_LINE;
	else if (!strcmp(levelarg, "word"))
		level = HTR_SEGMENT_WORD;
	else if (!strcmp(levelarg, "char"))
		level = HTR_SEGMENT_CHAR;
	else
		htr_cli_usage("-level must be line, word or char, not '%s'",
		    levelarg);
	if (marginspec && (margin < 0 || margin > 1000))
		htr_cli_usage("-margin must be between 0 and 1000");
	if (drawfile && !(draw = fopen(drawfile, "wb")))
		htr_cli_fatal("%s: cannot open for writing", drawfile);

	nin = argc > 1 ? argc - 1 : 1;
	for (int a = 0; a < nin; a++) {
		const char *path = argc > 1 ? argv[a + 1] : NULL;
		const char *name = htr_cli_name(path);
		FILE *f = htr_cli_open(path);
		struct htr_image page;
		int r;

		while ((r = htr_image_read(f, &page)) == 1) {
			struct htr_segment s;
			char src[HTR_TAG_MAX];
			long pg = htr_tag_int(page.tags, "page", pageno);
			int mg = margin;
			double t0 = htr_clock_seconds();

			if (htr_tag_get(page.tags, "src", src, sizeof src))
				snprintf(src, sizeof src, "%s", name);
			if (htr_segment_page(&s, &page, level, doubtful))
				htr_cli_die(name);
			if (!marginspec)
				mg = (int)(s.height / 8 + 0.5);
			if (write_crops(&s, &page, level, mg, src, pg))
				htr_cli_die(name);
			if (draw && htr_segment_draw(draw, &s, &page))
				htr_cli_die(drawfile);
			if (verbose) {
				fprintf(stderr, "htr-segment: %s: page %ld: %dx%d, "
				    "scale %.0f px, pitch %.0f px, %d lines", name, pg,
				    page.w, page.h, s.height, s.pitch, s.nline);
				if (level != HTR_SEGMENT_LINE)
					fprintf(stderr, ", %d words (gap %.1f px)",
					    s.nword, s.gap);
				if (level == HTR_SEGMENT_CHAR)
					fprintf(stderr, ", %d chars", s.nchar);
				fprintf(stderr, ", %.3f s\n",
				    htr_clock_seconds() - t0);
				for (int i = 0; i < s.nline; i++)
					fprintf(stderr, "htr-segment: %s: page %ld: "
					    "line %d box=%d,%d,%d,%d%s\n", name, pg,
					    i, s.lines[i].box[0],
					    s.lines[i].box[1], s.lines[i].box[2],
					    s.lines[i].box[3],
					    s.lines[i].doubt ? " doubt=1" : "");
			}
			htr_segment_free(&s);
			htr_image_free(&page);
			pageno++;
		}
		if (r < 0)
			htr_cli_die(name);
		if (f != stdin)
			fclose(f);
	}
	if (draw && (fflush(draw) == EOF || ferror(draw) || fclose(draw)))
		htr_cli_fatal("%s: write error", drawfile);
	return htr_cli_finish();
}
