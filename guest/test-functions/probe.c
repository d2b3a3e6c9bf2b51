/*
 * A test handler (not an example): what it does depends on the request's first
 * word, so that the function tests can drive every way a handler may behave.
 *   mark       "fresh" if /marker does not exist yet, "seen" if it does; creates it
 *              (each invocation runs in its own clone: it must always say fresh)
 *   fail       "probe: failing on purpose" on stderr, exit status 3
 *   crash      dies of SIGSEGV
 *   sleep      never answers (the invocation times out)
 *   big N      N bytes of 'x' on stdout
 *   noise N    N bytes on stderr (the line "noise <i>" over and over), exit 0
 *   anything else: "probe: unknown command" on stderr, exit status 2
 */
#include "nolibc.h"

static char request[256];
static char out[65536];

static int starts(const char *word)
{
	return strncmp(request, word, strlen(word)) == 0;
}

static void write_all(int fd, const char *data, long size)
{
	while (size > 0) {
		long w = write(fd, data, size);

		if (w <= 0)
			exit(1);
		data += w;
		size -= w;
	}
}

/* n bytes to fd: 'x' each, or (noisy) the lines "noise <i>". */
static void emit(int fd, long n, int noisy)
{
	for (long i = 0; i < (long)sizeof(out); i++)
		out[i] = 'x';
	for (long done = 0, line = 0; done < n; line++) {
		long chunk = n - done < (long)sizeof(out) ? n - done : (long)sizeof(out);

		if (noisy) {
			memcpy(out, "noise ", 6);
			ltoa_r(line, out + 6);
			chunk = strlen(out);
			out[chunk++] = '\n';
			if (chunk > n - done)
				chunk = n - done;
		}
		write_all(fd, out, chunk);
		done += chunk;
	}
}

int main(void)
{
	long used = 0, n;

	/* The whole request (only its start matters): read to EOF, as a handler must. */
	while ((n = read(0, out, sizeof(out))) > 0)
		for (long i = 0; i < n && used < (long)sizeof(request) - 1; i++)
			request[used++] = out[i];
	request[used] = 0;
	if (starts("mark")) {
		int fd = open("/marker", O_RDONLY, 0);

		if (fd >= 0) {
			write_all(1, "seen\n", 5);
			return 0;
		}
		fd = open("/marker", O_WRONLY | O_CREAT, 0600);
		if (fd < 0)
			return 4;
		close(fd);
		write_all(1, "fresh\n", 6);
		return 0;
	}
	if (starts("fail")) {
		write_all(2, "probe: failing on purpose\n", 26);
		return 3;
	}
	if (starts("crash"))
		*(volatile int *)0 = 1;
	if (starts("sleep"))
		for (;;)
			sleep(3600);
	if (starts("big "))
		emit(1, atol(request + 4), 0);
	else if (starts("noise "))
		emit(2, atol(request + 6), 1);
	else {
		write_all(2, "probe: unknown command\n", 23);
		return 2;
	}
	return 0;
}
