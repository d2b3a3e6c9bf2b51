/*
 * Example function: echo. Copies its request (stdin) to its response (stdout)
 * unchanged, whatever its size. A Hatchery function is a static Linux x86-64
 * executable: request on stdin, response on stdout, exit status 0 for success.
 * Built by guest/build with the kernel tree's nolibc, like the guest's /init.
 */
#include "nolibc.h"

static char buf[65536];

int main(void)
{
	long n;

	while ((n = read(0, buf, sizeof(buf))) > 0) {
		for (long done = 0; done < n;) {
			long w = write(1, buf + done, n - done);

			if (w <= 0)
				return 1;
			done += w;
		}
	}
	return n < 0 ? 1 : 0;
}
