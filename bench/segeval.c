/* segeval — scores line detection against ground-truth line boxes.
 *
 *	segeval [-baseline | -boxes] [-groups] [-list] [-iou T] TRUTH.tsv
 *	    < MANIFEST
 *
 * TRUTH.tsv has one row per true line, "page<TAB>id<TAB>x y w h[<TAB>...]"
 * (the layout of poilus/pages.tsv); a page is known by its file name
 * without directories and extension (its stem).  MANIFEST has one row per
 * segmented page, "stem<TAB>crops<TAB>seconds": crops is the PGM stream
 * htr-segment wrote for that page (line level; the box= tags are read,
 * and a crop of a page htr-prep deskewed has its box turned back onto the
 * scan by its deskew= tag), seconds the time it took.  Prints per page
 * and overall (micro-averaged) precision, recall and F1 of one-to-one
 * matches at IoU >= T (0.5), and the mean seconds per page.
 *
 * With -boxes, the crops file is a text file instead, one line box per
 * row, "x y w h" in the scan's pixels (the lines htr(1) kept, from its
 * JSON output: bench/segment.sh).
 *
 * With -baseline, MANIFEST rows are "stem<TAB>page.pgm" and the boxes come
 * from the textbook method instead: Otsu binarisation, then every run of
 * rows whose ink count exceeds 2% of the page's busiest row is a line
 * (the box spans that line's ink columns).
 *
 * With -groups, the errors are sorted into groups at the end: a true line
 * without a match is "missed" when no found box overlaps it by IoU 0.1,
 * "near" when one does by 0.3 (a box merged, split or shifted), else
 * "partial"; a found box without a match is "outside" when its centre
 * lies above the page's first or below its last true line (notes,
 * stamps, letterheads the transcription leaves out), "near" when it
 * overlaps a true line by 0.3, else "inside".  The nearly found true
 * lines are then counted by what would make their best box match (the
 * true x extent, the true y extent, either or only both) and by the
 * sides where that box reaches past the true box or stops short of it
 * (by more than half the true box's height).  -list (implies -groups)
 * also prints every unmatched line and box as it is counted, one row
 * each: "stem<TAB>group<TAB>true x y w h<TAB>best x y w h<TAB>IoU v" for
 * a true line (best: the found box overlapping it most, if any) and
 * "stem<TAB>found-group<TAB>box x y w h" for a found box (groups:
 * missed, partial, near, found-outside, found-inside, found-near), to
 * look up on the page (bench/segdiag.sh draws it).  Exit 1 on
 * unreadable input. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "htr.h"
#include "image.h"
#include "prep.h"
#include "segment.h"
#include "tag.h"

struct gt {
	char stem[256];
	int box[4];
};

static void
stem_of(const char *path, char *out, size_t n)
{
	const char *b = strrchr(path, '/'), *dot;
	size_t len;

	b = b ? b + 1 : path;
	dot = strrchr(b, '.');
	len = dot ? (size_t)(dot - b) : strlen(b);
	if (len >= n)
		len = n - 1;
	memcpy(out, b, len);
	out[len] = 0;
}

static void
die(const char *what)
{
	fprintf(stderr, "segeval: %s: %s\n", what, htr_errmsg());
	exit(1);
}

static int
otsu(const unsigned char *p, size_t n)
{
	double hist[256] = {0}, sum = 0, sumb = 0, wb = 0, best = -1;
	int t = 128;

	for (size_t i = 0; i < n; i++)
		hist[p[i]]++;
	for (int i = 0; i < 256; i++)
		sum += i * hist[i];
	for (int i = 0; i < 256; i++) {
		double wf, v;
		wb += hist[i];
		if (wb == 0)
			continue;
		if ((wf = (double)n - wb) == 0)
			break;
		sumb += i * hist[i];
		v = wb * wf * (sumb / wb - (sum - sumb) / wf) *
		    (sumb / wb - (sum - sumb) / wf);
		if (v > best) {
			best = v;
			t = i;
		}
	}
	return t;
}

/* The baseline: whole-page horizontal projection profile. */
static int
baseline(const struct htr_image *im, int (**found)[4])
{
	int t = otsu(im->pix, (size_t)im->w * im->h), n = 0, mx = 0;
	int *rows = calloc(im->h, sizeof *rows);

	*found = NULL;
	if (!rows)
		return -1;
	for (int y = 0; y < im->h; y++) {
		for (int x = 0; x < im->w; x++)
			rows[y] += im->pix[(size_t)y * im->w + x] <= t;
		if (rows[y] > mx)
			mx = rows[y];
	}
	for (int y = 0; y < im->h;) {
		int y0 = y, x0 = im->w, x1 = -1;
		if (rows[y] <= 0.02 * mx) {
			y++;
			continue;
		}
		while (y < im->h && rows[y] > 0.02 * mx)
			y++;
		for (int yy = y0; yy < y; yy++)
			for (int x = 0; x < im->w; x++)
				if (im->pix[(size_t)yy * im->w + x] <= t) {
					if (x < x0) x0 = x;
					if (x > x1) x1 = x;
				}
		if (!(*found = realloc(*found, (n + 1) * sizeof **found)))
			return -1;
		(*found)[n][0] = x0;
		(*found)[n][1] = y0;
		(*found)[n][2] = x1 - x0 + 1;
		(*found)[n][3] = y - y0;
		n++;
	}
	free(rows);
	return n;
}

/* Error groups (-groups): see the top of the file. */
enum { T_MISSED, T_PARTIAL, T_NEAR, F_OUTSIDE, F_INSIDE, F_NEAR, NGROUP };
static const char *group_name[NGROUP] = {
	"true lines missed (no found box at IoU 0.1)",
	"true lines partly found (best IoU 0.1-0.3)",
	"true lines nearly found (best IoU 0.3-0.5)",
	"found boxes above or below all true lines",
	"found boxes among the true lines, no true line near",
	"found boxes near a true line (IoU 0.3-0.5)"
};
/* ... and each group's key in -list rows */
static const char *group_key[NGROUP] = {
	"missed", "partial", "near", "found-outside", "found-inside",
	"found-near"
};

/* The nearly found true lines, by what would make their best box match:
 * its x extent set to the true line's, its y extent, either, or both;
 * and by the sides where it reaches past the true box, or stops short of
 * it, by more than half the true box's height. */
enum { N_X, N_Y, N_EITHER, N_BOTH, N_LEFT, N_RIGHT, N_SHORT_L, N_SHORT_R,
	NNEAR };
static const char *near_name[NNEAR] = {
	"fixed by the true x extent alone",
	"fixed by the true y extent alone",
	"fixed by either",
	"fixed only by both",
	"box reaches too far left",
	"box reaches too far right",
	"box stops short on the left",
	"box stops short on the right"
};

static void
near_sides(const int f[4], const int t[4], double min_iou, long *cnt)
{
	int bx[4] = {t[0], f[1], t[2], f[3]}, by[4] = {f[0], t[1], f[2], t[3]};
	int x = htr_segment_iou(bx, t) >= min_iou;
	int y = htr_segment_iou(by, t) >= min_iou;
	double tol = t[3] / 2.0;
	int dl = t[0] - f[0], dr = f[0] + f[2] - t[0] - t[2];

	cnt[x && y ? N_EITHER : x ? N_X : y ? N_Y : N_BOTH]++;
	cnt[N_LEFT] += dl > tol;
	cnt[N_RIGHT] += dr > tol;
	cnt[N_SHORT_L] += dl < -tol;
	cnt[N_SHORT_R] += dr < -tol;
}

/* Greedy one-to-one matching as htr_segment_match, marking the matched
 * boxes in mf[nf] and mt[nt], then counting every unmatched one in its
 * group. */
static int
groups(const int (*f)[4], int nf, const int (*t)[4], int nt, double min_iou,
    long *cnt, const char *list)
{
	char *mf = calloc(nf + 1, 1), *mt = calloc(nt + 1, 1);
	int top = 1 << 30, bot = -1, g;

	if (!mf || !mt) {
		free(mf);
		free(mt);
		return -1;
	}
	for (;;) {
		double best = min_iou;
		int bi = -1, bj = -1;
		for (int i = 0; i < nf; i++)
			for (int j = 0; !mf[i] && j < nt; j++) {
				double v = htr_segment_iou(f[i], t[j]);
				if (!mt[j] && v >= best && (bi < 0 || v > best)) {
					best = v;
					bi = i;
					bj = j;
				}
			}
		if (bi < 0)
			break;
		mf[bi] = mt[bj] = 1;
	}
	for (int j = 0; j < nt; j++) {
		double best = 0;
		int bi = -1;
		if (t[j][1] < top)
			top = t[j][1];
		if (t[j][1] + t[j][3] > bot)
			bot = t[j][1] + t[j][3];
		if (mt[j])
			continue;
		for (int i = 0; i < nf; i++) {
			double v = htr_segment_iou(f[i], t[j]);
			if (v > best) {
				best = v;
				bi = i;
			}
		}
		g = best < 0.1 ? T_MISSED : best < 0.3 ? T_PARTIAL : T_NEAR;
		cnt[g]++;
		if (list)
			printf("%s\t%s\ttrue %d %d %d %d", list, group_key[g],
			    t[j][0], t[j][1], t[j][2], t[j][3]);
		if (list && bi >= 0)
			printf("\tbest %d %d %d %d\tIoU %.2f", f[bi][0],
			    f[bi][1], f[bi][2], f[bi][3], best);
		if (list)
			putchar('\n');
		if (best >= 0.3)
			near_sides(f[bi], t[j], min_iou, cnt + NGROUP);
	}
	for (int i = 0; i < nf; i++) {
		double best = 0, cy = f[i][1] + f[i][3] / 2.0;
		if (mf[i])
			continue;
		for (int j = 0; j < nt; j++)
			best = fmax(best, htr_segment_iou(f[i], t[j]));
		g = best >= 0.3 ? F_NEAR : cy < top || cy > bot ? F_OUTSIDE :
		    F_INSIDE;
		cnt[g]++;
		if (list)
			printf("%s\t%s\tbox %d %d %d %d\n", list, group_key[g],
			    f[i][0], f[i][1], f[i][2], f[i][3]);
	}
	free(mf);
	free(mt);
	return 0;
}

static double
f1(double p, double r)
{
	return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

int
main(int argc, char **argv)
{
	double iou = 0.5, secs = 0;
	struct gt *g = NULL;
	int ng = 0, capg = 0, npage = 0;
	long tf = 0, tt = 0, tm = 0;
	char line[4096], row[256];
	FILE *f;

	int base = 0, boxes = 0, grp = 0, list = 0;
	long cnt[NGROUP + NNEAR] = {0};

	for (; argc >= 2; argv++, argc--)
		if (!strcmp(argv[1], "-baseline"))
			base = 1;
		else if (!strcmp(argv[1], "-boxes"))
			boxes = 1;
		else if (!strcmp(argv[1], "-groups"))
			grp = 1;
		else if (!strcmp(argv[1], "-list"))
			grp = list = 1;
		else
			break;
	if (argc == 4 && !strcmp(argv[1], "-iou")) {
		char *end;
		iou = strtod(argv[2], &end);
		if (*end || !(iou > 0 && iou <= 1)) {
			fprintf(stderr, "segeval: -iou %s: not a number in "
			    "(0, 1]\n", argv[2]);
			return 2;
		}
		argv += 2;
		argc -= 2;
	}
	/* an unknown option is not a truth file */
	if (argc != 2 || argv[1][0] == '-' || (base && boxes)) {
		fprintf(stderr, "usage: segeval [-baseline | -boxes] [-groups] "
		    "[-list] [-iou T] TRUTH.tsv < MANIFEST\n");
		return 2;
	}
	if (!(f = fopen(argv[1], "r"))) {
		perror(argv[1]);
		return 1;
	}
	while (fgets(line, sizeof line, f)) {
		char *page = strtok(line, "\t"), *id = strtok(NULL, "\t");
		char *box = strtok(NULL, "\t\n");
		if (!page || !id || !box)
			continue;
		if (ng == capg) {
			capg = capg ? 2 * capg : 1024;
			if (!(g = realloc(g, capg * sizeof *g)))
				return perror("segeval"), 1;
		}
		stem_of(page, g[ng].stem, sizeof g[ng].stem);
		if (sscanf(box, "%d %d %d %d", &g[ng].box[0], &g[ng].box[1],
		    &g[ng].box[2], &g[ng].box[3]) == 4)
			ng++;
	}
	fclose(f);
	printf("%-44s %5s %5s %5s %6s %6s %6s %7s\n", "page", "true", "found",
	    "match", "P", "R", "F1", "sec");
	while (fgets(line, sizeof line, stdin)) {
		char *stem = strtok(line, "\t"), *crops = strtok(NULL, "\t\n");
		char *sec = strtok(NULL, "\t\n");
		int (*found)[4] = NULL, (*truth)[4] = NULL, nf = 0, nt = 0, m;
		struct htr_image im;
		int r;

		if (!stem || !crops)
			continue;
		for (int i = 0; i < ng; i++)
			if (!strcmp(g[i].stem, stem))
				nt++;
		if (!(truth = malloc((nt ? nt : 1) * sizeof *truth)))
			return perror("segeval"), 1;
		nt = 0;
		for (int i = 0; i < ng; i++)
			if (!strcmp(g[i].stem, stem))
				memcpy(truth[nt++], g[i].box, sizeof *truth);
		if (!(f = fopen(crops, "rb"))) {
			perror(crops);
			return 1;
		}
		if (base) {
			double t0 = (double)clock() / CLOCKS_PER_SEC;
			if ((r = htr_pgm_read(f, &im)) != 1)
				die(crops);
			if ((nf = baseline(&im, &found)) < 0)
				return perror("segeval"), 1;
			htr_image_free(&im);
			secs -= t0 - (double)clock() / CLOCKS_PER_SEC;
		}
		while (boxes && fgets(row, sizeof row, f)) {
			int b[4];
			if (sscanf(row, "%d %d %d %d", &b[0], &b[1], &b[2],
			    &b[3]) != 4 || b[2] <= 0 || b[3] <= 0) {
				fprintf(stderr, "segeval: %s: not a box: %s", crops,
				    row);
				return 1;
			}
			if (!(found = realloc(found, (nf + 1) * sizeof *found)))
				return perror("segeval"), 1;
			memcpy(found[nf++], b, sizeof b);
		}
		while (!base && !boxes && (r = htr_pgm_read(f, &im)) == 1) {
			int b[4];
			char dsk[HTR_TAG_MAX];
			if (htr_tag_box(im.tags, b) == 0) {
				/* a page htr-prep deskewed: the box on the
				 * scan, where the true boxes are (scanbox=,
				 * the line's ink turned back; else its box's
				 * corners turned back) */
				if (htr_tag_box_of(im.tags, "scanbox", b) &&
				    !htr_tag_get(im.tags, "deskew", dsk,
				    sizeof dsk) && htr_prep_unrotate_box(b, dsk))
					die(crops);
				if (!(found = realloc(found, (nf + 1) *
				    sizeof *found)))
					return perror("segeval"), 1;
				memcpy(found[nf++], b, sizeof b);
			}
			htr_image_free(&im);
		}
		if (!base && !boxes && r < 0)
			die(crops);
		fclose(f);
		if ((m = htr_segment_match((const int (*)[4])found, nf,
		    (const int (*)[4])truth, nt, iou)) < 0)
			die(crops);
		if (grp && groups((const int (*)[4])found, nf,
		    (const int (*)[4])truth, nt, iou, cnt, list ? stem : NULL))
			return perror("segeval"), 1;
		double p = nf ? (double)m / nf : 0, rc = nt ? (double)m / nt : 0;
		double s = sec ? atof(sec) : 0;
		printf("%-44s %5d %5d %5d %6.3f %6.3f %6.3f %7.3f\n", stem, nt,
		    nf, m, p, rc, f1(p, rc), s);
		tf += nf;
		tt += nt;
		tm += m;
		secs += s;
		npage++;
		free(found);
		free(truth);
	}
	free(g);
	if (npage) {
		double p = tf ? (double)tm / tf : 0, rc = tt ? (double)tm / tt : 0;
		printf("%-44s %5ld %5ld %5ld %6.3f %6.3f %6.3f %7.3f\n",
		    "overall (mean sec/page)", tt, tf, tm, p, rc, f1(p, rc),
		    secs / npage);
	}
	if (grp) {
		printf("unmatched, by group:\n");
		for (int k = 0; k < NGROUP; k++)
			printf("%6ld  %s\n", cnt[k], group_name[k]);
		printf("nearly found true lines, their best box:\n");
		for (int k = 0; k < NNEAR; k++)
			printf("%6ld  %s\n", cnt[NGROUP + k], near_name[k]);
	}
	return 0;
}
