/*
 * Example function: word count. Answers "<lines> <words> <bytes>\n" for its
 * request, counted as wc(1) does in the C locale (a word is a run of bytes that
 * are not space, tab, newline, carriage return, vertical tab or form feed).
 */
#include "nolibc.h"

static unsigned char buf[65536];

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int main(void)
{
	unsigned long lines = 0, words = 0, bytes = 0;
	int in_word = 0;
	long n;

	while ((n = read(0, buf, sizeof(buf))) > 0) {
		for (long i = 0; i < n; i++) {
			if (buf[i] == '\n')
				lines++;
			if (is_space(buf[i]))
				in_word = 0;
			else if (!in_word) {
				in_word = 1;
				words++;
			}
		}
		bytes += n;
	}
	if (n < 0)
		return 1;
	printf("%lu %lu %lu\n", lines, words, bytes);
	return 0;
}
