/*
 * Hatchery guest /init: signal "boot complete" to the VMM, then stop the VM.
 *
 * Built by guest/build as a static binary against the kernel tree's nolibc
 * (tools/include/nolibc), so the initramfs needs no C library at all:
 *   gcc -static -nostdlib -nostdinc -fno-stack-protector -O2 \
 *       -I <linux>/tools/include/nolibc -isystem <uapi headers> init.c -lgcc
 *
 * Steps, each reported on /dev/console:
 *   1. print "hatchery-init: started"
 *   2. write the byte 123 at guest-physical 0xd0000000 (the VMM's boot-complete
 *      device) through /dev/mem
 *   3. print "hatchery-init: boot-complete signalled"
 *   4. reboot(RESTART): with `reboot=k` on the kernel command line the kernel
 *      resets through the i8042 (port 0x64 <- 0xfe), which the VMM treats as
 *      "guest stopped". Under QEMU, -no-reboot turns it into an exit.
 * A failing step prints its name and errno; the guest still reboots, because
 * PID 1 must never exit (that would be a kernel panic, not a clean stop).
 */
#include "nolibc.h"

/* Where the VMM's boot-complete device lives and the value that means "booted". */
#define BOOT_DEVICE_ADDR  0xd0000000UL
#define BOOT_COMPLETE     123

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

int main(void)
{
	/* The kernel starts /init with fds 0-2 on /dev/console if it could open
	 * it; open our own descriptor so output does not depend on that. */
	console = open("/dev/console", O_WRONLY | O_NOCTTY, 0);

	say("hatchery-init: started\n");
	signal_boot_complete();
	say("hatchery-init: boot-complete signalled\n");

	/* Step 4: stop the VM. Only returns on failure. */
	reboot(LINUX_REBOOT_CMD_RESTART);
	fail("reboot");
	/* PID 1 must not exit; wait here until the VMM stops us. */
	for (;;)
		sleep(3600);
}
