/* pagecer — character and word error rates of recognized pages.
 *
 *	pagecer < pages.tsv
 *
 * Each input line is  name<TAB>reference<TAB>hypothesis  (a page's text
 * with its lines joined by spaces).  Prints one line per page and the
 * totals over all pages (errors summed, then divided by the summed
 * reference length). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htr.h"
#include "metrics.h"

int
main(void)
{
	struct htr_metrics all;
	char *line = NULL;
	size_t cap = 0;
	long n = 0;

	htr_metrics_init(&all);
	printf("page\tchars\tCER\tWER\n");
	while (getline(&line, &cap, stdin) > 0) {
		struct htr_metrics m;
		char *ref, *hyp;

		line[strcspn(line, "\n")] = 0;
		if (!(ref = strchr(line, '\t')) || !(hyp = strchr(ref + 1, '\t'))) {
			fprintf(stderr, "pagecer: line %ld: want name, reference "
			    "and hypothesis separated by tabs\n", n + 1);
			return 1;
		}
		*ref++ = 0;
		*hyp++ = 0;
		htr_metrics_init(&m);
		if (htr_metrics_add(&m, ref, hyp) || htr_metrics_add(&all, ref, hyp)) {
			fprintf(stderr, "pagecer: %s: %s\n", line, htr_errmsg());
			return 1;
		}
		printf("%s\t%ld\t%.2f%%\t%.2f%%\n", line, m.chars,
		    100 * htr_metrics_cer(&m), 100 * htr_metrics_wer(&m));
		n++;
	}
	free(line);
	printf("all %ld pages\t%ld\t%.2f%%\t%.2f%%\n", n, all.chars,
	    100 * htr_metrics_cer(&all), 100 * htr_metrics_wer(&all));
	return 0;
}
