/* atomic.h — replace a file atomically: write to a temporary file in the
 * same directory, flush, fsync, rename over the target, fsync the
 * directory.  A crash leaves the old file or the new one, never half.
 *
 *     struct htr_atomic a;
 *     FILE *f = htr_atomic_open(&a, "model.htrm");
 *     if (!f) return -1;
 *     ... write to f ...
 *     return htr_atomic_commit(&a);   (or htr_atomic_abort(&a))
 */
#ifndef HTR_ATOMIC_H
#define HTR_ATOMIC_H

#include <stdio.h>

struct htr_atomic {
	FILE *f;
	char *path;   /* target */
	char *tmp;    /* path.XXXXXX */
};

/* NULL + htr_fail("path: ...") on failure. */
FILE *htr_atomic_open(struct htr_atomic *a, const char *path);
/* Checks every write (ferror), fsyncs, renames; on any failure removes the
 * temporary file and returns -1 (htr_fail naming the path). */
int htr_atomic_commit(struct htr_atomic *a);
/* Closes and removes the temporary file; the target is untouched. */
void htr_atomic_abort(struct htr_atomic *a);

#endif
