/* serveload — a small HTTP load generator for htr-serve (bench/serve.sh):
 * N clients, each a thread with one keep-alive connection, send the same
 * request for a fixed time and record every latency.
 *
 *   serveload -c CLIENTS -d SECONDS [-f FILE -t CONTENT-TYPE] URL
 *
 * With -f the request is a POST of FILE as the body (the raw-image form of
 * /v1/recognize), else a GET.  Only http://IPv4:PORT/path on loopback is
 * accepted: this is a benchmark, not a tool to load other machines.
 * Prints requests, requests/s, latency p50/p90/p99/max, and the count of
 * each status and of connection errors.  A client that gets 503 waits
 * 100 ms before the next request.  Bounded: clients <= 1000,
 * seconds <= 600, and each client stops at the deadline.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct client {
	pthread_t th;
	double *lat;            /* [nlat] ms of completed requests */
	size_t nlat, cap;
	long status[6];         /* 1xx..5xx by first digit; [0] = other */
	long s503, errors;
};

static struct sockaddr_in addr;
static char *request;           /* headers + body */
static size_t nrequest;
static double deadline;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
connect_once(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct timeval tv = { 60, 0 };      /* a queued request may wait */

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&addr, sizeof addr)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Sends the request and reads one response.  Returns the status, or -1 on
 * a connection error; *keep is 0 when the server closes. */
static int
exchange(int fd, int *keep)
{
	char buf[65536];
	size_t have = 0, off = 0;
	long clen = -1;
	int status = 0;
	char *hend, *p;

	while (off < nrequest) {
		ssize_t n = send(fd, request + off, nrequest - off, MSG_NOSIGNAL);

		if (n <= 0) {
			/* The server may answer early (e.g. 503) and close. */
			break;
		}
		off += (size_t)n;
	}
	for (;;) {
		ssize_t n = recv(fd, buf + have, sizeof buf - 1 - have, 0);

		if (n <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = 0;
		if ((hend = strstr(buf, "\r\n\r\n")))
			break;
		if (have == sizeof buf - 1)
			return -1;
	}
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	*keep = 1;
	for (p = buf; p < hend; p = strstr(p, "\r\n") + 2) {
		if (!strncasecmp(p, "Content-Length:", 15))
			clen = strtol(p + 15, NULL, 10);
		if (!strncasecmp(p, "Connection: close", 17))
			*keep = 0;
	}
	if (clen < 0)
		return -1;
	{
		size_t body = have - (size_t)(hend + 4 - buf);

		while ((long)body < clen) {
			ssize_t n = recv(fd, buf, sizeof buf, 0);

			if (n <= 0)
				return -1;
			body += (size_t)n;
		}
	}
	if (off < nrequest)
		*keep = 0;
	return status;
}

static void *
run(void *arg)
{
	struct client *c = arg;
	int fd = -1, keep = 0;

	while (now() < deadline) {
		double t0;
		int st;

		if (fd < 0 && (fd = connect_once()) < 0) {
			c->errors++;
			nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
			continue;
		}
		t0 = now();
		st = exchange(fd, &keep);
		if (st < 0) {
			c->errors++;
			close(fd);
			fd = -1;
			continue;
		}
		if (st == 200) {
			if (c->nlat == c->cap) {
				size_t cap = c->cap ? 2 * c->cap : 1024;
				double *l = realloc(c->lat, cap * sizeof *l);

				if (!l) {
					fprintf(stderr, "serveload: out of memory\n");
					exit(1);
				}
				c->lat = l;
				c->cap = cap;
			}
			c->lat[c->nlat++] = (now() - t0) * 1e3;
		}
		c->status[st >= 100 && st < 600 ? st / 100 : 0]++;
		if (st == 503) {
			/* Busy: back off a little, as a client honouring
			 * Retry-After would (without waiting the whole
			 * second, so that the queue stays full). */
			c->s503++;
			nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
		}
		if (!keep) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static char *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) || !(b = malloc((size_t)len + 1)) ||
	    fread(b, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "serveload: %s: cannot read\n", path);
		exit(1);
	}
	fclose(f);
	*n = (size_t)len;
	return b;
}

int
main(int argc, char **argv)
{
	int clients = 10, seconds = 10, opt;
	const char *file = NULL, *ctype = "application/octet-stream", *url;
	char host[64], path[512];
	unsigned port;
	struct client *c;
	double *all, t0, el;
	size_t nall = 0, k = 0;
	long status[6] = { 0 }, s503 = 0, errors = 0;

	while ((opt = getopt(argc, argv, "c:d:f:t:")) != -1) {
		switch (opt) {
		case 'c': clients = atoi(optarg); break;
		case 'd': seconds = atoi(optarg); break;
		case 'f': file = optarg; break;
		case 't': ctype = optarg; break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || clients < 1 || clients > 1000 ||
	    seconds < 1 || seconds > 600)
		goto usage;
	url = argv[optind];
	path[0] = '/';
	path[1] = 0;
	if (sscanf(url, "http://%63[0-9.]:%u%511s", host, &port, path) < 2 ||
	    port > 65535 || inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
		fprintf(stderr, "serveload: want http://IPV4:PORT/path, not %s\n",
		    url);
		return 2;
	}
	if ((ntohl(addr.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "serveload: %s is not a loopback address\n",
		    host);
		return 2;
	}
	addr.sin_family = AF_INET;
	addr.sin_port = htons((unsigned short)port);
	if (file) {
		size_t nbody;
		char *body = slurp(file, &nbody);
		char head[1024];
		int nh = snprintf(head, sizeof head, "POST %s HTTP/1.1\r\n"
		    "Host: %s:%u\r\nContent-Type: %s\r\nContent-Length: %zu"
		    "\r\n\r\n", path, host, port, ctype, nbody);

		nrequest = (size_t)nh + nbody;
		if (!(request = malloc(nrequest)))
			return 1;
		memcpy(request, head, (size_t)nh);
		memcpy(request + nh, body, nbody);
		free(body);
	} else {
		char head[1024];
		int nh = snprintf(head, sizeof head, "GET %s HTTP/1.1\r\n"
		    "Host: %s:%u\r\n\r\n", path, host, port);

		nrequest = (size_t)nh;
		request = strdup(head);
	}
	if (!(c = calloc((size_t)clients, sizeof *c)))
		return 1;
	t0 = now();
	deadline = t0 + seconds;
	for (int i = 0; i < clients; i++)
		if (pthread_create(&c[i].th, NULL, run, &c[i])) {
			fprintf(stderr, "serveload: cannot start thread %d\n", i);
			return 1;
		}
	for (int i = 0; i < clients; i++) {
		pthread_join(c[i].th, NULL);
		nall += c[i].nlat;
		for (int s = 0; s < 6; s++)
			status[s] += c[i].status[s];
		s503 += c[i].s503;
		errors += c[i].errors;
	}
	el = now() - t0;
	if (!(all = malloc((nall ? nall : 1) * sizeof *all)))
		return 1;
	for (int i = 0; i < clients; i++) {
		memcpy(all + k, c[i].lat, c[i].nlat * sizeof *all);
		k += c[i].nlat;
		free(c[i].lat);
	}
	qsort(all, nall, sizeof *all, cmp);
	printf("clients\t%d\nseconds\t%.1f\nok\t%zu\nok_per_s\t%.1f\n", clients,
	    el, nall, nall / el);
	if (nall)
		printf("p50_ms\t%.1f\np90_ms\t%.1f\np99_ms\t%.1f\nmax_ms\t%.1f\n",
		    all[nall / 2], all[nall * 9 / 10], all[nall * 99 / 100],
		    all[nall - 1]);
	printf("status_2xx\t%ld\nstatus_4xx\t%ld\nstatus_503\t%ld\n"
	    "status_5xx_other\t%ld\nconnection_errors\t%ld\n", status[2],
	    status[4], s503, status[5] - s503, errors);
	free(all);
	free(c);
	free(request);
	return 0;
usage:
	fprintf(stderr, "usage: serveload -c CLIENTS -d SECONDS "
	    "[-f FILE [-t TYPE]] http://127.0.0.1:PORT/path\n");
	return 2;
}
