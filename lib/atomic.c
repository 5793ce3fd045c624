/* atomic.c — write-to-temporary, fsync, rename. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "htr.h"

FILE *
htr_atomic_open(struct htr_atomic *a, const char *path)
{
	size_t n = strlen(path);

	memset(a, 0, sizeof *a);
	if (!(a->path = htr_alloc(n + 1, 1)) || !(a->tmp = htr_alloc(n + 8, 1)))
		goto fail;
	memcpy(a->path, path, n + 1);
	snprintf(a->tmp, n + 8, "%s.XXXXXX", path);
	int fd = mkstemp(a->tmp);
	if (fd < 0) {
		htr_fail("%s: cannot create a temporary file beside it: %s",
		    path, strerror(errno));
		goto fail;
	}
	mode_t um = umask(0);
	umask(um);
	(void)fchmod(fd, 0666 & ~um);
	if (!(a->f = fdopen(fd, "wb"))) {
		htr_fail("%s: %s", path, strerror(errno));
		close(fd);
		unlink(a->tmp);
		goto fail;
	}
	return a->f;
fail:
	free(a->path);
	free(a->tmp);
	a->path = a->tmp = NULL;
	return NULL;
}

static void
release(struct htr_atomic *a)
{
	free(a->path);
	free(a->tmp);
	a->path = a->tmp = NULL;
	a->f = NULL;
}

int
htr_atomic_commit(struct htr_atomic *a)
{
	int err = 0;
	const char *what = "write";

	if (fflush(a->f) != 0 || ferror(a->f))
		err = errno ? errno : EIO;
	else if (fsync(fileno(a->f)) != 0)
		err = errno, what = "fsync";
	if (fclose(a->f) != 0 && !err)
		err = errno, what = "close";
	if (!err && rename(a->tmp, a->path) != 0)
		err = errno, what = "rename";
	if (err) {
		unlink(a->tmp);
		htr_fail("%s: %s failed: %s", a->path, what, strerror(err));
		release(a);
		return -1;
	}
	/* make the rename itself durable */
	char *d = htr_alloc(strlen(a->path) + 1, 1);
	if (d) {
		strcpy(d, a->path);
		int fd = open(dirname(d), O_RDONLY);
		if (fd >= 0) {
			(void)fsync(fd);
			close(fd);
		}
		free(d);
	}
	release(a);
	return 0;
}

void
htr_atomic_abort(struct htr_atomic *a)
{
	if (a->f) {
		fclose(a->f);
		unlink(a->tmp);
	}
	release(a);
}
