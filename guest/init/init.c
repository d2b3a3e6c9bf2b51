/*
 * Hatchery guest /init: report "/init started" and "boot complete" to the VMM,
 * then stop the VM.
 *
 * Built by guest/build as a static binary against the kernel tree's nolibc
 * (tools/include/nolibc), so the initramfs needs no C library at all:
 *   gcc -static -nostdlib -nostdinc -fno-stack-protector -O2 \
 *       -I <linux>/tools/include/nolibc -isystem <uapi headers> init.c -lgcc
 *
 * Steps, each reported on /dev/console:
 *   0. before anything else, write the boot-milestone code 0x60 ("/init
 *      started") to the debug port 0x80 through /dev/port: the VMM timestamps
 *      it, so the VM's timeline splits kernel time from init time (the kernel
 *      wrote 0x40, "kernel entry", at its first instruction)
 *   1. print "hatchery-init: started"
 *   2. write the byte 123 at guest-physical 0xd0000000 (the VMM's boot-complete
 *      device) through /dev/mem
 *   3. print "hatchery-init: boot-complete signalled"
 *   4. reboot(RESTART): with `reboot=k` on the kernel command line the kernel
 *      resets through the i8042 (port 0x64 <- 0xfe), which the VMM treats as
 *      "guest stopped". Under QEMU, -no-reboot turns it into an exit.
 * A failing step prints its name and errno; the guest still reboots, because
 * PID 1 must never exit (that would be a kernel panic, not a clean stop).
 *
 * With `hatchery.clone=1` on the kernel command line (the template VM that
 * clones are made from), step 2 is preceded by the clone ready point: /init
 * writes the identity device's READY register (inside the boot device's
 * window, at +0x800). The VMM captures the whole VM right after that store
 * and never runs the template again; every clone resumes after the store,
 * reads its own identity from the device (clone number, 32 bytes of entropy,
 * the host's wall clock), feeds the entropy to the kernel's CRNG and forces a
 * reseed (so no two clones share random numbers), sets the wall clock, and
 * reports on the console:
 *   hatchery-init: clone=<n> random=<64 hex> monotonic_ns=<before>,<after> ip=<a.b.c.d|none>
 * A networked clone also takes its own MAC, IPv4 address and netmask on eth0
 * (the template's are replaced; its echo services start after this).
 * (CLOCK_MONOTONIC before the ready point and after resume: the clock must
 * neither run backwards nor stand still across the clone).
 *
 * With `hatchery.stay=1`, step 4 is replaced by idling until the VMM stops
 * the VM.
 *
 * With `hatchery.function=<address>,<capacity>` (always with hatchery.clone=1:
 * a function's template), /init starts the function's handler, /handler, before
 * the ready point, its stdin, stdout and stderr on pipes, so that every clone
 * resumes with the handler loaded and waiting for input. Each clone then serves
 * one invocation through the function mailbox (hatchery's FunctionMailbox): a
 * region of guest RAM at <address> that the kernel leaves alone (the VMM puts
 * memmap=<size>$<address> on the command line), laid out as
 *   +0x0000  header, 32-bit words: REQUEST_LEN (set by the VMM), RESPONSE_LEN,
 *            STDERR_LEN, WAIT_STATUS (the handler's, as wait4 gives it), FLAGS
 *   +0x1000  the request, <capacity> bytes
 *   +0x1000 + capacity      the response (the handler's stdout), <capacity> bytes
 *   +0x1000 + 2 * capacity  the last 4 KiB of the handler's stderr
 * /init writes the request to the handler's stdin and gathers its stdout and
 * stderr (poll, so neither side can block the other), waits for it to exit,
 * fills in the header and writes the mailbox's DONE register (boot device
 * page + 0xc00), on which the VMM stops the VM and reads the reply.
 *
 * With `hatchery.echo=1` on the kernel command line (networked test VMs), step
 * 4 is replaced by serving the VMM's network tests until the VMM stops the VM:
 *   - UDP port 7: every datagram is sent back to its sender (RFC 862 echo);
 *   - TCP port 9000: read everything until the client shuts down its side,
 *     then reply 12 bytes: length (u32) and FNV-1a 64 of the bytes (u64), both
 *     big-endian, so the host checks a transfer of any size with one compare.
 * The kernel's ip= argument has configured eth0 before /init runs.
 *
 * With `hatchery.probe=<list>` (isolation tests), the guest first starts the
 * traffic the list describes and reports each attempt (see run_probes).
 */
#include "nolibc.h"

/* Where the VMM's boot-complete device lives and the value that means "booted". */
#define BOOT_DEVICE_ADDR  0xd0000000UL
#define BOOT_COMPLETE     123

/* The VMM's boot-milestone device: the debug port, and the code for "/init
 * started" (cloud-hypervisor's ranges: 0x40-0x5f kernel, 0x60-0x7f userspace). */
#define MILESTONE_PORT          0x80
#define MILESTONE_INIT_STARTED  0x60

/* The identity device (hatchery's CloneIdentityDevice): registers at
 * BOOT_DEVICE_ADDR + IDENTITY_OFFSET, read and written as 32-bit words. */
#define IDENTITY_OFFSET      0x800
#define IDENTITY_READY       0x00	/* write: ready to be captured */
#define IDENTITY_CLONE       0x04	/* read: this clone's number */
#define IDENTITY_TIME_SEC    0x08	/* read: wall clock, seconds (latched) */
#define IDENTITY_TIME_NSEC   0x0c	/* read: wall clock, nanoseconds */
#define IDENTITY_NET_FLAGS   0x10	/* read: 1 = the clone has a network of its own */
#define IDENTITY_IPV4        0x14	/* read: its IPv4 address (network order) */
#define IDENTITY_NETMASK     0x18	/* read: its netmask (network order) */
#define IDENTITY_PEER        0x1c	/* read: the host end of its tap (network order) */
#define IDENTITY_ENTROPY     0x20	/* read: 32 bytes of fresh entropy */
#define IDENTITY_ENTROPY_LEN 32
#define IDENTITY_MAC         0x40	/* read: its MAC, 6 bytes */

/* linux/random.h, spelled out: its header clashes with nolibc's types. */
#define RNDADDENTROPY_  0x40085203UL	/* _IOW('R', 0x03, int[2]) */
#define RNDRESEEDCRNG_  0x5207UL	/* _IO('R', 0x07) */
#define CLOCK_REALTIME_  0
#define CLOCK_MONOTONIC_ 1
#define AT_FDCWD_        -100

static int console = -1;

/* Write a message to the console. The kernel may have no console at all (no
 * console= argument, serial off for boot-time runs): errors are ignored. */
static void say(const char *msg)
{
	if (console >= 0)
		write(console, msg, strlen(msg));
}

/* Report a failed step: "hatchery-init: <step> failed: errno=<n>". */
static void fail(const char *step)
{
	char num[24];

	ltoa_r(errno, num);	/* before say(): a failed write would change errno */
	say("hatchery-init: ");
	say(step);
	say(" failed: errno=");
	say(num);
	say("\n");
}

/* Step 0: one-byte write of MILESTONE_INIT_STARTED to MILESTONE_PORT; the
 * offset in /dev/port is the port number. Runs before the console is open, so
 * it cannot report: returns the name of the step that failed (errno set), or 0. */
static const char *signal_init_started(void)
{
	unsigned char code = MILESTONE_INIT_STARTED;
	const char *failed = 0;
	int fd = open("/dev/port", O_WRONLY, 0);
	int saved;

	if (fd < 0)
		return "open /dev/port";
	if (lseek(fd, MILESTONE_PORT, SEEK_SET) < 0)
		failed = "lseek /dev/port";
	else if (write(fd, &code, 1) != 1)
		failed = "write /dev/port";
	saved = errno;
	close(fd);
	errno = saved;
	return failed;
}

/* Step 2: one-byte store of 123 at physical BOOT_DEVICE_ADDR. */
static void signal_boot_complete(void)
{
	/* O_SYNC makes the kernel map the page uncached: it is MMIO, not RAM. */
	int fd = open("/dev/mem", O_RDWR | O_SYNC, 0);

	if (fd < 0) {
		fail("open /dev/mem");
		return;
	}

	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			  BOOT_DEVICE_ADDR);
	if (page != MAP_FAILED) {
		/* volatile: exactly one byte store, never merged or dropped. */
		*(volatile unsigned char *)page = BOOT_COMPLETE;
		munmap(page, 4096);
	} else {
		/* Fallback: a one-byte write() at that offset of /dev/mem. */
		unsigned char b = BOOT_COMPLETE;

		fail("mmap /dev/mem");
		if (lseek(fd, BOOT_DEVICE_ADDR, SEEK_SET) < 0)
			fail("lseek /dev/mem");
		else if (write(fd, &b, 1) != 1)
			fail("write /dev/mem");
	}
	close(fd);
}

/* --- echo services (hatchery.echo=1) ------------------------------------
 * nolibc has no socket wrappers: raw syscalls, and our own sockaddr_in so the
 * UAPI socket headers (which clash with nolibc's types) stay out. */
#define AF_INET_ 2
#define SOCK_STREAM_ 1
#define SOCK_DGRAM_ 2
#define SOL_SOCKET_ 1
#define SO_REUSEADDR_ 2
#define ECHO_UDP_PORT 7
#define SUM_TCP_PORT 9000

struct sockaddr_in4 {
	unsigned short family;
	unsigned short port;	/* network byte order */
	unsigned int addr;	/* network byte order; 0 = any */
	unsigned char zero[8];
};

static unsigned char buf[65536];

/* A socket bound to port on every address, or -1 (reported). */
static int bound_socket(int type, unsigned short port)
{
	struct sockaddr_in4 sa = { AF_INET_, (unsigned short)((port >> 8) | (port << 8)), 0, {0} };
	int one = 1;
	int fd = my_syscall3(__NR_socket, AF_INET_, type, 0);

	if (fd < 0) {
		errno = -fd;
		fail("socket");
		return -1;
	}
	my_syscall5(__NR_setsockopt, fd, SOL_SOCKET_, SO_REUSEADDR_, &one, sizeof(one));
	long ret = my_syscall3(__NR_bind, fd, &sa, sizeof(sa));
	if (ret < 0) {
		errno = -ret;
		fail("bind");
		return -1;
	}
	return fd;
}

/* UDP echo: each datagram goes back to where it came from. Never returns. */
static void serve_udp_echo(void)
{
	int fd = bound_socket(SOCK_DGRAM_, ECHO_UDP_PORT);

	for (;;) {
		struct sockaddr_in4 from;
		int fromlen = sizeof(from);
		long n = fd < 0 ? -1 : my_syscall6(__NR_recvfrom, fd, buf, sizeof(buf), 0, &from, &fromlen);

		if (n < 0) {
			sleep(1);	/* no busy loop if the socket is broken */
			continue;
		}
		my_syscall6(__NR_sendto, fd, buf, n, 0, &from, fromlen);
	}
}

/* TCP: per connection, read to EOF, reply length + FNV-1a 64. Never returns. */
static void serve_tcp_sum(void)
{
	int fd = bound_socket(SOCK_STREAM_, SUM_TCP_PORT);

	if (fd >= 0 && my_syscall2(__NR_listen, fd, 4) < 0)
		fail("listen");
	for (;;) {
		long conn = fd < 0 ? -1 : my_syscall3(__NR_accept, fd, 0, 0);

		if (conn < 0) {
			sleep(1);
			continue;
		}
		unsigned long long hash = 0xcbf29ce484222325ULL;
		unsigned int length = 0;
		long n;

		while ((n = read(conn, buf, sizeof(buf))) > 0) {
			for (long i = 0; i < n; i++)
				hash = (hash ^ buf[i]) * 0x100000001b3ULL;
			length += n;
		}
		unsigned char reply[12];

		for (int i = 0; i < 4; i++)
			reply[i] = length >> (24 - 8 * i);
		for (int i = 0; i < 8; i++)
			reply[4 + i] = hash >> (56 - 8 * i);
		write(conn, reply, sizeof(reply));
		close(conn);
	}
}

/* The kernel command line, NUL-terminated, into cmdline[size]; 0 if unreadable.
 * Our kernel has no procfs (smaller, faster boot), so when /proc cannot be
 * mounted it is read where the VMM put it: boot_params.hdr.cmd_line_ptr in the
 * zero page (0x7000 + 0x228) points at it. Linux keeps the first 1 MiB
 * reserved, and /dev/mem may read it even with STRICT_DEVMEM. */
#define ZERO_PAGE_ADDR     0x7000UL
#define CMD_LINE_PTR_OFF   0x228
static long read_cmdline(char *cmdline, long size)
{
	unsigned int ptr = 0;
	long n = -1;
	int fd;

	if (mount("proc", "/proc", "proc", 0, 0) == 0 &&
	    (fd = open("/proc/cmdline", O_RDONLY, 0)) >= 0) {
		n = read(fd, cmdline, size - 1);
		close(fd);
	} else if ((fd = open("/dev/mem", O_RDONLY, 0)) >= 0) {
		if (lseek(fd, ZERO_PAGE_ADDR + CMD_LINE_PTR_OFF, SEEK_SET) >= 0 &&
		    read(fd, &ptr, sizeof(ptr)) == sizeof(ptr) && ptr != 0 &&
		    lseek(fd, ptr, SEEK_SET) >= 0)
			n = read(fd, cmdline, size - 1);
		close(fd);
	}
	if (n <= 0)
		return 0;
	cmdline[n] = 0;
	return n;
}

/* True when the kernel command line has the word flag (e.g. hatchery.echo=1). */
static int cmdline_has(const char *cmdline, const char *flag)
{
	const long len = strlen(flag);

	for (const char *p = cmdline; *p; p++) {
		if ((p == cmdline || p[-1] == ' ') && strncmp(p, flag, len) == 0 &&
		    (p[len] == 0 || p[len] == ' ' || p[len] == '\n'))
			return 1;
	}
	return 0;
}

/* CLOCK_MONOTONIC in nanoseconds (nolibc has no clock_gettime wrapper). */
static long monotonic_ns(void)
{
	long ts[2] = {0, 0};

	my_syscall2(__NR_clock_gettime, CLOCK_MONOTONIC_, ts);
	return ts[0] * 1000000000L + ts[1];
}


/* ioctls of <linux/sockios.h> and the ifreq layout, spelled out (the UAPI
 * socket headers clash with nolibc's types). */
#define SIOCSIFADDR_    0x8916
#define SIOCSIFNETMASK_ 0x891c
#define SIOCSIFHWADDR_  0x8924
#define ARPHRD_ETHER_   1

struct ifreq_addr {
	char name[16];
	unsigned short family;
	unsigned char data[14];	/* sockaddr_in: port (2), address (4); or the MAC */
	unsigned char pad[8];	/* the rest of the ifreq union */
};

/* One SIOCSIF* ioctl on eth0 with family and the given bytes at data+offset. */
static int set_eth0(int fd, unsigned long request, unsigned short family, const unsigned char *bytes, int offset, int len)
{
	struct ifreq_addr req;

	memset(&req, 0, sizeof(req));
	memcpy(req.name, "eth0", 5);
	req.family = family;
	memcpy(req.data + offset, bytes, len);
	return ioctl(fd, request, &req);
}

/* A clone's own network (identity device): its MAC, then its address and netmask,
 * which replace the template's on eth0 (the connected route follows). */
static void apply_network(long fd, const unsigned char *mac, const unsigned char *ipv4, const unsigned char *netmask)
{
	if (fd < 0) {
		errno = -fd;
		fail("socket (network identity)");
		return;
	}
	if (set_eth0(fd, SIOCSIFHWADDR_, ARPHRD_ETHER_, mac, 0, 6) < 0)
		fail("SIOCSIFHWADDR eth0");
	if (set_eth0(fd, SIOCSIFADDR_, AF_INET_, ipv4, 2, 4) < 0)
		fail("SIOCSIFADDR eth0");
	if (set_eth0(fd, SIOCSIFNETMASK_, AF_INET_, netmask, 2, 4) < 0)
		fail("SIOCSIFNETMASK eth0");
}

/* "a.b.c.d" of 4 bytes in network order, into out[16]. */
static void format_ipv4(const unsigned char *ip, char *out)
{
	char *end = out;

	for (int i = 0; i < 4; i++) {
		ltoa_r(ip[i], end);
		end += strlen(end);
		if (i < 3)
			*end++ = '.';
	}
	*end = 0;
}

/* Appends text to line[LINE_MAX_] at *used (truncating). */
#define LINE_MAX_ 256
static void append(char *line, int *used, const char *text)
{
	while (*text && *used < LINE_MAX_ - 1)
		line[(*used)++] = *text++;
	line[*used] = 0;
}

static void append_number(char *line, int *used, long value)
{
	char num[24];

	ltoa_r(value, num);
	append(line, used, num);
}

/*
 * The clone ready point and what each clone does after it (see the top).
 * Everything a clone needs that is the same in every clone (the device page
 * mapped, /dev/urandom made and opened, a socket for eth0) is done before the
 * ready point, in the template: a clone's first touch of each page costs an
 * EPT fault, so its path after resume is kept to the few system calls that
 * apply its identity, one console line, and the boot-complete store through
 * the page it has mapped already. Returns 1 when it signalled boot-complete.
 */
static unsigned char *device_page;	/* the boot device's page, kept mapped by a function's clone */

static int become_clone(int keep_page)
{
	static const char hex[] = "0123456789abcdef";
	struct { int entropy_count; int buf_size; unsigned char buf[IDENTITY_ENTROPY_LEN]; } pool;
	unsigned char random[IDENTITY_ENTROPY_LEN];
	char line[LINE_MAX_];
	int used = 0;
	long ts[2];
	int fd = open("/dev/mem", O_RDWR | O_SYNC, 0);

	if (fd < 0) {
		fail("open /dev/mem (identity)");
		return 0;
	}
	unsigned char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, BOOT_DEVICE_ADDR);
	close(fd);
	if (page == MAP_FAILED) {
		fail("mmap /dev/mem (identity)");
		return 0;
	}
	/* The initramfs has no /dev/urandom (the rest of /init needs none): made
	 * here, char 1:9, in the kernel's device-number encoding. */
	long made = my_syscall4(__NR_mknodat, AT_FDCWD_, "/dev/urandom", 0020600, (1 << 8) | 9);
	if (made < 0 && made != -EEXIST) {
		errno = -made;
		fail("mknod /dev/urandom");
	}
	int urandom = open("/dev/urandom", O_RDWR, 0);
	if (urandom < 0)
		fail("open /dev/urandom");
	long sock = my_syscall3(__NR_socket, AF_INET_, SOCK_DGRAM_, 0);
	volatile unsigned int *identity = (volatile unsigned int *)(page + IDENTITY_OFFSET);
	volatile unsigned long *identity64 = (volatile unsigned long *)identity;
	long before = monotonic_ns();

	/* The template is captured right after this store; clones go on from here. */
	identity[IDENTITY_READY / 4] = 1;

	long after = monotonic_ns();
	/* 64-bit loads where registers pair up: every MMIO access is one exit. */
	unsigned int clone = identity[IDENTITY_CLONE / 4];
	unsigned long time = identity64[IDENTITY_TIME_SEC / 8];	/* latches the time */
	unsigned long net[3];	/* flags+IPv4, netmask+peer, MAC */

	ts[0] = (unsigned int)time;
	ts[1] = (unsigned int)(time >> 32);
	for (int i = 0; i < IDENTITY_ENTROPY_LEN / 8; i++) {
		unsigned long word = identity64[IDENTITY_ENTROPY / 8 + i];

		memcpy(pool.buf + 8 * i, &word, 8);
	}
	net[0] = identity64[IDENTITY_NET_FLAGS / 8];
	int networked = net[0] & 1;
	char address[16] = "none";

	if (networked) {
		unsigned char *bytes = (unsigned char *)net;

		net[1] = identity64[IDENTITY_NETMASK / 8];
		net[2] = identity64[IDENTITY_MAC / 8];
		/* IPv4 at +4 of the first word, netmask at +0 of the second, MAC in the third. */
		apply_network(sock, bytes + 16, bytes + 4, bytes + 8);
		format_ipv4(bytes + 4, address);
	}
	pool.entropy_count = 8 * IDENTITY_ENTROPY_LEN;
	pool.buf_size = IDENTITY_ENTROPY_LEN;
	if (urandom >= 0) {
		if (ioctl(urandom, RNDADDENTROPY_, &pool) < 0)
			fail("RNDADDENTROPY");
		if (ioctl(urandom, RNDRESEEDCRNG_, 0) < 0)
			fail("RNDRESEEDCRNG");
	}
	long ret = my_syscall2(__NR_clock_settime, CLOCK_REALTIME_, ts);
	if (ret < 0) {
		errno = -ret;
		fail("clock_settime");
	}
	ret = my_syscall3(__NR_getrandom, random, sizeof(random), 0);
	if (ret != (long)sizeof(random)) {
		errno = ret < 0 ? -ret : 0;
		fail("getrandom");
	}
	/* Volatile: exactly one byte store, the boot-complete signal. */
	*(volatile unsigned char *)page = BOOT_COMPLETE;

	append(line, &used, "hatchery-init: clone=");
	append_number(line, &used, clone);
	append(line, &used, " random=");
	for (int i = 0; i < IDENTITY_ENTROPY_LEN; i++) {
		char pair[3] = { hex[random[i] >> 4], hex[random[i] & 15], 0 };

		append(line, &used, pair);
	}
	append(line, &used, " monotonic_ns=");
	append_number(line, &used, before);
	append(line, &used, ",");
	append_number(line, &used, after);
	append(line, &used, " ip=");
	append(line, &used, address);
	append(line, &used, "\n");
	say(line);
	if (urandom >= 0)
		close(urandom);
	if (sock >= 0)
		close(sock);
	if (keep_page)
		device_page = page;
	else
		munmap(page, 4096);
	return 1;
}

/* --- function mode (hatchery.function=<address>,<capacity>) ------------- */
#define MAILBOX_HEADER_BYTES  0x1000
#define MAILBOX_STDERR_BYTES  0x1000
#define MB_REQUEST_LEN   0x00
#define MB_RESPONSE_LEN  0x04
#define MB_STDERR_LEN    0x08
#define MB_WAIT_STATUS   0x0c
#define MB_FLAGS         0x10
#define MB_FLAG_RESPONSE_OVERFLOW 1	/* stdout went past the capacity: the rest was read and dropped */
#define MB_FLAG_SETUP_FAILED      2	/* the handler never ran (stderr says why) */
#define FUNCTION_DONE_OFFSET 0xc00	/* the mailbox's DONE register, in the boot device's page */
#define HANDLER_PATH "/handler"
#define F_SETFL_ 4

struct function_call {
	unsigned char *mailbox;	/* the whole region, mapped before the ready point */
	unsigned long capacity;
	int in, out, err;	/* our ends of the handler's stdin, stdout, stderr */
	int pid;		/* the handler, or -1 when it could not be started */
	char setup_error[96];	/* why not, for its stderr */
};

/* The value after "key" on the command line, or 0. */
static const char *cmdline_value(const char *cmdline, const char *key)
{
	const long len = strlen(key);

	for (const char *p = cmdline; *p; p++) {
		if ((p == cmdline || p[-1] == ' ') && strncmp(p, key, len) == 0)
			return p + len;
	}
	return 0;
}

static void set_nonblocking(int fd)
{
	my_syscall3(__NR_fcntl, fd, F_SETFL_, O_NONBLOCK);
}

/* "<step> failed: errno=<n>" into call->setup_error. */
static void setup_failed(struct function_call *call, const char *step, int error)
{
	char num[24];
	int used = 0;

	ltoa_r(error, num);
	call->setup_error[0] = 0;
	for (const char *parts[] = { step, " failed: errno=", num, "\n", 0 }, **part = parts; *part; part++)
		for (const char *c = *part; *c && used < (int)sizeof(call->setup_error) - 1; c++)
			call->setup_error[used++] = *c;
	call->setup_error[used] = 0;
	call->pid = -1;
	say("hatchery-init: ");
	say(call->setup_error);
}

/*
 * In the template, before the ready point: maps the mailbox, starts /handler on
 * three pipes and waits until its exec has succeeded (a close-on-exec pipe
 * reports an exec failure's errno, or EOF once the exec is done), then gives it a
 * moment to reach its first read of stdin, so clones resume with it waiting there.
 */
static void start_handler(struct function_call *call, const char *spec)
{
	char *end;
	unsigned long address = strtoul(spec, &end, 0);
	int in[2], out[2], err[2], status[2];

	call->capacity = *end == ',' ? strtoul(end + 1, 0, 0) : 0;
	call->pid = -1;
	int fd = open("/dev/mem", O_RDWR, 0);	/* not O_SYNC: the mailbox is RAM, cached */

	if (fd < 0) {
		setup_failed(call, "open /dev/mem (mailbox)", errno);
		return;
	}
	call->mailbox = mmap(NULL, MAILBOX_HEADER_BYTES + 2 * call->capacity + MAILBOX_STDERR_BYTES,
			     PROT_READ | PROT_WRITE, MAP_SHARED, fd, address);
	close(fd);
	if (call->mailbox == MAP_FAILED || call->capacity == 0) {
		call->mailbox = 0;
		setup_failed(call, "mmap mailbox", errno);
		return;
	}
	if (pipe(in) < 0 || pipe(out) < 0 || pipe(err) < 0 || pipe2(status, O_CLOEXEC) < 0) {
		setup_failed(call, "pipe", errno);
		return;
	}
	int pid = fork();

	if (pid == 0) {
		char *argv[] = { "handler", 0 };
		char *envp[] = { "PATH=/", "HATCHERY_FUNCTION=1", 0 };
		int error;

		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		for (int i = 3; i < 64; i++)
			if (i != status[1])
				close(i);
		execve(HANDLER_PATH, argv, envp);
		error = errno;
		write(status[1], &error, sizeof(error));
		sys_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	close(status[1]);
	if (pid < 0) {
		setup_failed(call, "fork", errno);
		return;
	}
	int exec_errno = 0;

	if (read(status[0], &exec_errno, sizeof(exec_errno)) == sizeof(exec_errno)) {
		close(status[0]);
		waitpid(pid, 0, 0);
		setup_failed(call, "exec " HANDLER_PATH, exec_errno);
		return;
	}
	close(status[0]);
	call->pid = pid;
	call->in = in[1];
	call->out = out[0];
	call->err = err[0];
	set_nonblocking(call->in);
	set_nonblocking(call->out);
	set_nonblocking(call->err);
	msleep(20);
	say("hatchery-init: handler started, waiting for its invocation\n");
}

/*
 * In a clone: one invocation. Feeds the request to the handler's stdin and
 * gathers stdout (into the mailbox, up to its capacity) and stderr (its last
 * 4 KiB, as a ring) until both are closed, then waits for the handler.
 */
static void serve_invocation(struct function_call *call)
{
	volatile unsigned int *header = (volatile unsigned int *)call->mailbox;
	unsigned char *request = call->mailbox + MAILBOX_HEADER_BYTES;
	unsigned char *response = request + call->capacity;
	unsigned char *errors = response + call->capacity;
	unsigned long request_len = header[MB_REQUEST_LEN / 4];
	unsigned long sent = 0, got = 0, errors_total = 0;
	unsigned int flags = 0;
	int status = 0;

	if (request_len > call->capacity)
		request_len = call->capacity;
	if (call->pid < 0) {
		flags |= MB_FLAG_SETUP_FAILED;
		for (const char *c = call->setup_error; *c; c++)
			errors[errors_total++] = *c;
	} else {
		if (request_len == 0) {
			close(call->in);
			call->in = -1;
		}
		while (call->out >= 0 || call->err >= 0) {
			struct pollfd fds[3];
			int n = 0, in_at = -1, out_at = -1, err_at = -1;

			if (call->in >= 0) { in_at = n; fds[n].fd = call->in; fds[n++].events = POLLOUT; }
			if (call->out >= 0) { out_at = n; fds[n].fd = call->out; fds[n++].events = POLLIN; }
			if (call->err >= 0) { err_at = n; fds[n].fd = call->err; fds[n++].events = POLLIN; }
			if (poll(fds, n, -1) < 0)
				continue;
			if (in_at >= 0 && fds[in_at].revents) {
				long w = write(call->in, request + sent, request_len - sent);

				if (w > 0)
					sent += w;
				/* Done, or the handler closed its stdin (EPIPE): no more input. */
				if (sent == request_len || (w < 0 && errno != EAGAIN && errno != EINTR)) {
					close(call->in);
					call->in = -1;
				}
			}
			if (out_at >= 0 && fds[out_at].revents) {
				long r = got < call->capacity ? read(call->out, response + got, call->capacity - got)
							      : read(call->out, buf, sizeof(buf));

				if (r > 0 && got < call->capacity)
					got += r;
				else if (r > 0)
					flags |= MB_FLAG_RESPONSE_OVERFLOW;
				else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
					close(call->out);
					call->out = -1;
				}
			}
			if (err_at >= 0 && fds[err_at].revents) {
				long r = read(call->err, buf, sizeof(buf));

				for (long i = 0; i < r; i++)
					errors[errors_total++ % MAILBOX_STDERR_BYTES] = buf[i];
				if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
					close(call->err);
					call->err = -1;
				}
			}
		}
		if (call->in >= 0)
			close(call->in);
		waitpid(call->pid, &status, 0);
	}
	if (errors_total > MAILBOX_STDERR_BYTES) {
		/* Unroll the ring: oldest byte first. */
		unsigned long start = errors_total % MAILBOX_STDERR_BYTES;

		memcpy(buf, errors + start, MAILBOX_STDERR_BYTES - start);
		memcpy(buf + MAILBOX_STDERR_BYTES - start, errors, start);
		memcpy(errors, buf, MAILBOX_STDERR_BYTES);
		errors_total = MAILBOX_STDERR_BYTES;
	}
	header[MB_RESPONSE_LEN / 4] = got;
	header[MB_STDERR_LEN / 4] = errors_total;
	header[MB_WAIT_STATUS / 4] = status;
	header[MB_FLAGS / 4] = flags;
	/* The VMM stops the VM on this store and reads the reply. */
	*(volatile unsigned int *)(device_page + FUNCTION_DONE_OFFSET) = 1;
}

/* --- network probes (hatchery.probe=..., isolation tests) ---------------
 * Traffic this guest starts, for the host to see arrive or not: a comma-
 * separated list, run in order once boot-complete is signalled, each reported
 * as "hatchery-probe: <entry> -> <result>", then "hatchery-probe: done":
 *   tcp:IP:PORT        connect (3 s): connected | failed errno=<n>
 *   udp:IP:PORT        one datagram whose payload is the entry: sent
 *   raw:IP:PORT        the same through a raw IPv4 socket (our own source
 *                      address, header built here): sent
 *   spoofip:IP:PORT:S  the same with source address S
 *   spoofmac:IP:PORT   a datagram sent while eth0 wears another MAC
 *                      (02:de:ad:be:ef:01; ours is put back afterwards)
 *   flood:IP:PORT:S    64-byte datagrams as fast as the guest can send them,
 *                      for S seconds (at most 3600): "flooding" first, then
 *                      sent <count>
 * The host judges arrival; a guest-side "sent" only means the kernel took it. */
#define IPPROTO_RAW_   255
#define SO_SNDTIMEO_   21
#define SIOCGIFADDR_   0x8915
#define SIOCGIFHWADDR_ 0x8927
#define PROBE_MAX_     40

/* "a.b.c.d" at *text (advanced past it) into 4 bytes; 0 on success. */
static int parse_ipv4(const char **text, unsigned char *ip)
{
	const char *p = *text;

	for (int i = 0; i < 4; i++) {
		unsigned int part = 0, digits = 0;

		while (*p >= '0' && *p <= '9' && digits < 3) {
			part = part * 10 + (*p++ - '0');
			digits++;
		}
		if (digits == 0 || part > 255 || (i < 3 && *p++ != '.'))
			return -1;
		ip[i] = part;
	}
	*text = p;
	return 0;
}

static int parse_port(const char **text, unsigned short *port)
{
	const char *p = *text;
	unsigned int value = 0, digits = 0;

	while (*p >= '0' && *p <= '9' && digits < 5) {
		value = value * 10 + (*p++ - '0');
		digits++;
	}
	if (digits == 0 || value == 0 || value > 65535)
		return -1;
	*port = value;
	*text = p;
	return 0;
}

static void probe_report(const char *entry, const char *result, long error)
{
	char num[24];

	say("hatchery-probe: ");
	say(entry);
	say(" -> ");
	say(result);
	if (error) {
		ltoa_r(error, num);
		say(" errno=");
		say(num);
	}
	say("\n");
}

static struct sockaddr_in4 probe_target(const unsigned char *ip, unsigned short port)
{
	struct sockaddr_in4 sa = { AF_INET_, (unsigned short)((port >> 8) | (port << 8)), 0, {0} };

	memcpy(&sa.addr, ip, 4);
	return sa;
}

static void probe_tcp(const char *entry, const unsigned char *ip, unsigned short port)
{
	struct sockaddr_in4 sa = probe_target(ip, port);
	long timeout[2] = { 3, 0 };	/* struct timeval: connect gives up after it */
	long fd = my_syscall3(__NR_socket, AF_INET_, SOCK_STREAM_, 0);

	if (fd < 0) {
		probe_report(entry, "failed socket", -fd);
		return;
	}
	my_syscall5(__NR_setsockopt, fd, SOL_SOCKET_, SO_SNDTIMEO_, timeout, sizeof(timeout));
	long ret = my_syscall3(__NR_connect, fd, &sa, sizeof(sa));

	probe_report(entry, ret == 0 ? "connected" : "failed", ret == 0 ? 0 : -ret);
	close(fd);
}

static void probe_udp(const char *entry, const unsigned char *ip, unsigned short port)
{
	struct sockaddr_in4 sa = probe_target(ip, port);
	/* Out of the my_syscall6() arguments: a call there would clobber the
	 * registers the macro has already loaded. */
	const long length = strlen(entry);
	long fd = my_syscall3(__NR_socket, AF_INET_, SOCK_DGRAM_, 0);
	long ret = fd < 0 ? fd : my_syscall6(__NR_sendto, fd, entry, length, 0, &sa, sizeof(sa));

	probe_report(entry, ret < 0 ? "failed" : "sent", ret < 0 ? -ret : 0);
	if (fd >= 0)
		close(fd);
}

/* An IPv4 header (the kernel fills in the checksum, id and total length) and a
 * UDP header without checksum, then the entry, from source. */
static void probe_raw(const char *entry, const unsigned char *ip, unsigned short port, const unsigned char *source)
{
	struct sockaddr_in4 sa = probe_target(ip, port);
	const long payload = strlen(entry);
	const long length = 20 + 8 + payload;
	unsigned char packet[20 + 8 + 256];
	long fd, ret;

	memset(packet, 0, 28);
	packet[0] = 0x45;
	packet[2] = length >> 8;
	packet[3] = length;
	packet[8] = 64;		/* TTL */
	packet[9] = 17;		/* UDP */
	memcpy(packet + 12, source, 4);
	memcpy(packet + 16, ip, 4);
	packet[20] = 0x9c;	/* source port 40000 */
	packet[21] = 0x40;
	packet[22] = port >> 8;
	packet[23] = port;
	packet[24] = (8 + payload) >> 8;
	packet[25] = 8 + payload;
	memcpy(packet + 28, entry, payload);
	fd = my_syscall3(__NR_socket, AF_INET_, 3 /* SOCK_RAW */, IPPROTO_RAW_);
	ret = fd < 0 ? fd : my_syscall6(__NR_sendto, fd, packet, length, 0, &sa, sizeof(sa));
	probe_report(entry, ret < 0 ? "failed" : "sent", ret < 0 ? -ret : 0);
	if (fd >= 0)
		close(fd);
}

/* The transmit side of a guest that floods its shared network loop. */
static void probe_flood(const char *entry, const unsigned char *ip, unsigned short port, unsigned int seconds)
{
	struct sockaddr_in4 sa = probe_target(ip, port);
	static unsigned char datagram[64];
	const long length = sizeof(datagram);
	long fd = my_syscall3(__NR_socket, AF_INET_, SOCK_DGRAM_, 0);
	long sent = 0;
	char num[24];

	if (fd < 0) {
		probe_report(entry, "failed socket", -fd);
		return;
	}
	probe_report(entry, "flooding", 0);
	const time_t end = time(NULL) + seconds;

	while (time(NULL) < end) {
		for (int i = 0; i < 256; i++) {
			if (my_syscall6(__NR_sendto, fd, datagram, length, 0, &sa, sizeof(sa)) > 0)
				sent++;
		}
	}
	close(fd);
	ltoa_r(sent, num);
	say("hatchery-probe: ");
	say(entry);
	say(" -> sent ");
	say(num);
	say("\n");
}

/* eth0's address (SIOCGIFADDR) or MAC (SIOCGIFHWADDR) into out; 0 on success. */
static int get_eth0(long fd, unsigned long request, unsigned char *out, int offset, int len)
{
	struct ifreq_addr req;

	memset(&req, 0, sizeof(req));
	memcpy(req.name, "eth0", 5);
	if (ioctl(fd, request, &req) < 0)
		return -1;
	memcpy(out, req.data + offset, len);
	return 0;
}

static void run_probes(const char *list)
{
	static const unsigned char spoofed_mac[6] = { 0x02, 0xde, 0xad, 0xbe, 0xef, 0x01 };
	unsigned char own_ip[4], own_mac[6];
	long control = my_syscall3(__NR_socket, AF_INET_, SOCK_DGRAM_, 0);

	if (control < 0 || get_eth0(control, SIOCGIFADDR_, own_ip, 2, 4) < 0 ||
	    get_eth0(control, SIOCGIFHWADDR_, own_mac, 0, 6) < 0) {
		fail("probe: eth0 address");
		say("hatchery-probe: done\n");
		return;
	}
	while (*list && *list != ' ') {
		char entry[PROBE_MAX_ + 1];
		int n = 0;

		while (list[n] && list[n] != ',' && list[n] != ' ' && n < PROBE_MAX_) {
			entry[n] = list[n];
			n++;
		}
		entry[n] = 0;
		list += n;
		if (*list == ',')
			list++;

		const char *colon = strchr(entry, ':');
		const char *p = colon ? colon + 1 : entry;
		unsigned char ip[4], source[4];
		unsigned short port, port_seconds;

		if (!colon || parse_ipv4(&p, ip) || *p++ != ':' || parse_port(&p, &port)) {
			probe_report(entry, "unreadable", 0);
			continue;
		}
		if (strncmp(entry, "tcp:", 4) == 0 && !*p)
			probe_tcp(entry, ip, port);
		else if (strncmp(entry, "udp:", 4) == 0 && !*p)
			probe_udp(entry, ip, port);
		else if (strncmp(entry, "raw:", 4) == 0 && !*p)
			probe_raw(entry, ip, port, own_ip);
		else if (strncmp(entry, "spoofip:", 8) == 0 && *p++ == ':' && !parse_ipv4(&p, source) && !*p)
			probe_raw(entry, ip, port, source);
		else if (strncmp(entry, "flood:", 6) == 0 && *p++ == ':' && !parse_port(&p, &port_seconds) && !*p &&
			 port_seconds <= 3600)
			probe_flood(entry, ip, port, port_seconds);
		else if (strncmp(entry, "spoofmac:", 9) == 0 && !*p) {
			if (set_eth0(control, SIOCSIFHWADDR_, ARPHRD_ETHER_, spoofed_mac, 0, 6) < 0) {
				probe_report(entry, "failed SIOCSIFHWADDR", errno);
				continue;
			}
			probe_udp(entry, ip, port);
			if (set_eth0(control, SIOCSIFHWADDR_, ARPHRD_ETHER_, own_mac, 0, 6) < 0)
				fail("probe: restore MAC");
		} else
			probe_report(entry, "unreadable", 0);
	}
	close(control);
	say("hatchery-probe: done\n");
}

int main(void)
{
	/* First of all, so that the timestamp is when /init started. */
	const char *milestone_failed = signal_init_started();
	int milestone_errno = errno;

	/* The kernel starts /init with fds 0-2 on /dev/console if it could open
	 * it; open our own descriptor so output does not depend on that. */
	console = open("/dev/console", O_WRONLY | O_NOCTTY, 0);

	say("hatchery-init: started\n");
	if (milestone_failed) {
		errno = milestone_errno;
		fail(milestone_failed);
	}
	char cmdline[2048];

	if (read_cmdline(cmdline, sizeof(cmdline)) == 0)
		cmdline[0] = 0;
	const char *function = cmdline_value(cmdline, "hatchery.function=");
	struct function_call call;

	if (function)
		start_handler(&call, function);
	if (!cmdline_has(cmdline, "hatchery.clone=1") || !become_clone(function != 0))
		signal_boot_complete();
	else if (function && call.mailbox) {
		serve_invocation(&call);
		for (;;)
			sleep(3600);	/* the VMM stopped the VM at DONE */
	}
	say("hatchery-init: boot-complete signalled\n");

	const char *probes = cmdline_value(cmdline, "hatchery.probe=");

	if (probes)
		run_probes(probes);

	if (cmdline_has(cmdline, "hatchery.echo=1")) {
		say("hatchery-init: serving udp echo :7, tcp length+fnv1a64 :9000\n");
		/* One process per service keeps each loop a plain blocking loop. */
		if (fork() == 0)
			serve_udp_echo();
		serve_tcp_sum();
	}

	if (cmdline_has(cmdline, "hatchery.stay=1")) {
		/* Stay up, idle, until the VMM stops the VM (VMs kept alive to be
		 * measured, e.g. host memory per live VM). */
		say("hatchery-init: staying up (hatchery.stay=1)\n");
		for (;;)
			sleep(3600);
	}

	/* Step 4: stop the VM. Only returns on failure. */
	reboot(LINUX_REBOOT_CMD_RESTART);
	fail("reboot");
	/* PID 1 must not exit; wait here until the VMM stops us. */
	for (;;)
		sleep(3600);
}
