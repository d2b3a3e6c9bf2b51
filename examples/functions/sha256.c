/*
 * Example function: SHA-256 of the request (FIPS 180-4), answered as 64
 * lowercase hex digits and a newline, as sha256sum(1) prints the digest.
 */
#include "nolibc.h"

static const unsigned int K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static unsigned int state[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static unsigned int rotr(unsigned int x, int n)
{
	return (x >> n) | (x << (32 - n));
}

/* One 64-byte block into the state. */
static void compress(const unsigned char *block)
{
	unsigned int w[64], v[8];

	for (int i = 0; i < 16; i++)
		w[i] = (unsigned int)block[4 * i] << 24 | (unsigned int)block[4 * i + 1] << 16 |
		       (unsigned int)block[4 * i + 2] << 8 | block[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		unsigned int s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
		unsigned int s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	for (int i = 0; i < 8; i++)
		v[i] = state[i];
	for (int i = 0; i < 64; i++) {
		unsigned int t1 = v[7] + (rotr(v[4], 6) ^ rotr(v[4], 11) ^ rotr(v[4], 25)) +
				  ((v[4] & v[5]) ^ (~v[4] & v[6])) + K[i] + w[i];
		unsigned int t2 = (rotr(v[0], 2) ^ rotr(v[0], 13) ^ rotr(v[0], 22)) +
				  ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));

		for (int j = 7; j > 0; j--)
			v[j] = v[j - 1];
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		state[i] += v[i];
}

static unsigned char buf[65536 + 128];

int main(void)
{
	unsigned long long total = 0;
	long pending = 0, n;
	char hex[65];

	while ((n = read(0, buf + pending, 65536)) > 0) {
		long whole;

		total += n;
		pending += n;
		whole = pending - pending % 64;
		for (long i = 0; i < whole; i += 64)
			compress(buf + i);
		memmove(buf, buf + whole, pending - whole);
		pending -= whole;
	}
	if (n < 0)
		return 1;
	/* Padding: 0x80, zeros, the length in bits as a 64-bit big-endian number. */
	buf[pending++] = 0x80;
	while (pending % 64 != 56)
		buf[pending++] = 0;
	for (int i = 7; i >= 0; i--)
		buf[pending++] = (unsigned char)((total * 8) >> (8 * i));
	for (long i = 0; i < pending; i += 64)
		compress(buf + i);
	for (int i = 0; i < 32; i++) {
		unsigned char b = state[i / 4] >> (24 - 8 * (i % 4));

		hex[2 * i] = "0123456789abcdef"[b >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[b & 15];
	}
	hex[64] = '\n';
	return write(1, hex, 65) == 65 ? 0 : 1;
}
