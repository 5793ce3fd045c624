/* test_plot.c — the learning-curve PNG: size, something drawn where the
 * curves go, errors for logs that are not htr-train's. */
#include <stdlib.h>
#include <string.h>

#include "htr.h"
#include "image.h"
#include "plot.h"
#include "t.h"

int
main(void)
{
	const char *t = getenv("TMPDIR");
	char csv[512], png[512];
	struct htr_image im;
	FILE *f;

	snprintf(csv, sizeof csv, "%s/test_plot.csv", t ? t : "/tmp");
	snprintf(png, sizeof png, "%s/test_plot.png", t ? t : "/tmp");
	f = fopen(csv, "w");
	fputs("epoch,step,train_loss,valid_error,valid_cer,valid_wer,valid_acc,"
	    "lr,seconds\n"
	    "1,10,2.5,0.4,0.4,0.5,0.2,0.001,1.0\n"
	    "2,20,1.0,0.2,0.2,0.3,0.5,0.001,2.0\n"
	    "3,30,0.5,0.1,0.1,0.2,0.7,0.001,3.0\n", f);
	fclose(f);
	CHECKF(htr_plot_log(png, csv) == 0, "%s", htr_errmsg());
	f = fopen(png, "rb");
	CHECK(f != NULL);
	CHECKF(htr_image_read(f, &im) == 1, "%s", htr_errmsg());
	fclose(f);
	CHECK(im.w == 720 && im.h == 420);
	/* the plot area holds dark curve pixels, the corner is white */
	long dark = 0;
	for (int y = 30; y < 370; y++)
		for (int x = 75; x < 645; x++)
			dark += im.pix[y * im.w + x] < 160;
	CHECKF(dark > 500, "%ld dark pixels", dark);
	CHECK(im.pix[im.w * im.h - 1] == 255);
	htr_image_free(&im);

	/* no validation column values ("nan") still plots */
	f = fopen(csv, "w");
	fputs("epoch,step,train_loss,valid_error,valid_cer,valid_wer,valid_acc,"
	    "lr,seconds\n1,10,2.5,nan,nan,nan,nan,0.001,1.0\n", f);
	fclose(f);
	CHECK(htr_plot_log(png, csv) == 0);

	f = fopen(csv, "w");
	fputs("a,b,c\n1,2,3\n", f);
	fclose(f);
	CHECK(htr_plot_log(png, csv) == -1);
	CHECK(strstr(htr_errmsg(), "not an htr-train log") != NULL);
	f = fopen(csv, "w");
	fputs("epoch,step,train_loss,valid_error\n", f);
	fclose(f);
	CHECK(htr_plot_log(png, csv) == -1);
	CHECK(strstr(htr_errmsg(), "no epochs") != NULL);
	CHECK(htr_plot_log(png, "/nonexistent/x.csv") == -1);
	return T_DONE();
}
