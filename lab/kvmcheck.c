/*
 * kvmcheck: proves that /dev/kvm works (used by `lab/run --self-check`; also fine on a host
 * with real KVM). Opens /dev/kvm, checks KVM_GET_API_VERSION == 12, reads the vCPU mmap size,
 * then creates a VM with one vCPU running a 5-byte real-mode program (mov al,0x42; out 0x10,al;
 * hlt) and checks that it exits with that port write and then HLT.
 *
 * Output on success, one line:
 *   kvm: api_version=12 vcpu_mmap_size=N vm_run=ok (io out 0x10=0x42, hlt)
 * On failure: "kvmcheck: FAILED: <what>" on stderr and exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static void fail(const char *fmt, ...)
{
	va_list ap;
	int err = errno;
	fputs("kvmcheck: FAILED: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, " (%s)", strerror(err));
	fputc('\n', stderr);
	exit(1);
}

int main(void)
{
	errno = 0;
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		fail("cannot open /dev/kvm");

	int api = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION)
		fail("KVM_GET_API_VERSION returned %d, expected %d", api, KVM_API_VERSION);

	int mmap_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size < (int)sizeof(struct kvm_run))
		fail("KVM_GET_VCPU_MMAP_SIZE returned %d", mmap_size);

	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		fail("KVM_CREATE_VM");

	const size_t mem_size = 0x1000;
	uint8_t *mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		fail("mmap guest memory");
	static const uint8_t code[] = { 0xb0, 0x42, 0xe6, 0x10, 0xf4 }; /* mov al,0x42; out 0x10,al; hlt */
	memcpy(mem, code, sizeof(code));

	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0x1000, .memory_size = mem_size, .userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		fail("KVM_SET_USER_MEMORY_REGION");

	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		fail("KVM_CREATE_VCPU");
	struct kvm_run *run = mmap(NULL, (size_t)mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		fail("mmap kvm_run");

	struct kvm_sregs sregs;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		fail("KVM_SET_SREGS");
	struct kvm_regs regs = { .rip = 0x1000, .rflags = 0x2 };
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		fail("KVM_SET_REGS");

	int saw_io = 0;
	for (int i = 0; i < 10; i++) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0)
			fail("KVM_RUN");
		errno = 0;
		switch (run->exit_reason) {
		case KVM_EXIT_IO: {
			uint8_t val = *((uint8_t *)run + run->io.data_offset);
			if (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != 0x10 || run->io.size != 1 || val != 0x42)
				fail("unexpected I/O exit: dir=%d port=0x%x size=%d value=0x%x", run->io.direction,
				     run->io.port, run->io.size, val);
			saw_io = 1;
			break;
		}
		case KVM_EXIT_HLT:
			if (!saw_io)
				fail("guest halted before its port write");
			printf("kvm: api_version=%d vcpu_mmap_size=%d vm_run=ok (io out 0x10=0x42, hlt)\n", api,
			       mmap_size);
			return 0;
		case KVM_EXIT_FAIL_ENTRY:
			fail("KVM_EXIT_FAIL_ENTRY, hardware_entry_failure_reason=0x%llx",
			     (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			fail("KVM_EXIT_INTERNAL_ERROR, suberror=%u", run->internal.suberror);
			break;
		default:
			fail("unexpected exit reason %u", run->exit_reason);
		}
	}
	errno = 0;
	fail("guest did not halt after 10 KVM_RUN calls");
	return 1;
}
