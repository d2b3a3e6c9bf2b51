/*
 * floor-vmm: the floor Hatchery is measured against. A minimal C VMM that does, per VM, the same work as
 * Hatchery's direct path on the flat guest, and nothing else:
 *
 *   once per process   open /dev/kvm, KVM_GET_SUPPORTED_CPUID (plus the bits Hatchery's BootCpu adds), the MSR
 *                      list and FPU state, and a sealed memfd template holding the guest's low memory: GDT, IDT,
 *                      identity page tables for 4 GiB (the addresses of kernel-cache's BootLayout) and the ELF's
 *                      PT_LOAD segments;
 *   per VM             fresh anonymous RAM (MAP_NORESERVE), the template mapped MAP_PRIVATE|MAP_FIXED over its
 *                      start, KVM_CREATE_VM, KVM_SET_TSS_ADDR, KVM_CREATE_IRQCHIP, KVM_CREATE_PIT2 (speaker
 *                      dummy), KVM_SET_USER_MEMORY_REGION, KVM_CREATE_VCPU, the kvm_run mapping, CPUID, MSRs,
 *                      registers, special registers (long mode), FPU, LAPIC (LINT0 ExtINT, LINT1 NMI); then a
 *                      thread of its own runs KVM_RUN until the guest writes 123 to the boot-complete device
 *                      (MMIO 0xd0000000) and triple-faults (KVM_EXIT_SHUTDOWN); the thread releases the vCPU,
 *                      the VM and the RAM.
 *
 * VMs run one after another. Every phase is timestamped with CLOCK_MONOTONIC (the clock of Java's
 * System.nanoTime on Linux), named as Hatchery's timeline names them (vm-actor's Phase JSON keys).
 *
 * Usage: floor-vmm --elf PATH [--count N] [--mem-mib M] [--boot-timeout-ms MS] [--wait-go]
 *   --wait-go: print "ready", then wait for a line on stdin before the first VM (so that several
 *   processes can start together).
 *
 * Output (stdout), one record per line, a word and then key=value fields:
 *   ready pid=P ram_bytes=B template_bytes=B entry=0x100000 cpuid_entries=N
 *   start at=NS
 *   vm index=I outcome=booted request=NS memoryReady=NS kernelLoaded=NS vmCreated=NS vcpuReady=NS
 *      firstKvmRun=NS bootComplete=NS stopped=NS exits=N                      (one line)
 *   vm index=I outcome=failed failure=CODE detail=TEXT request=NS ...   (only the phases reached; TEXT has no spaces)
 *      CODE as Hatchery's failure codes: triple_fault, internal_error, entry_failed, unhandled_exit, boot_timeout
 *      (detail timeoutMs=N)
 *   end at=NS vms=N booted=N
 * A failed host call ends the process: "floor-vmm: error: <call> failed: <facts> errno=N (ENAME)" on
 * stderr, exit status 1; bad arguments exit 2.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* kernel-cache BootLayout: the same addresses Hatchery lays out. */
#define GDT_ADDRESS 0x500
#define IDT_ADDRESS 0x520
#define ZERO_PAGE_ADDRESS 0x7000
#define BOOT_STACK_POINTER 0x8ff0
#define PML4_ADDRESS 0x9000
#define PDPT_ADDRESS 0xa000
#define PD_ADDRESS 0xb000
#define HIMEM_START 0x100000
#define TSS_ADDRESS 0xfffbd000UL
#define GDT_CODE 0x00af9b000000ffffULL
#define GDT_DATA 0x00cf93000000ffffULL
#define GDT_TSS 0x008f8b000000ffffULL
#define CODE_SELECTOR 0x08
#define DATA_SELECTOR 0x10
#define TSS_SELECTOR 0x18
#define GDT_LIMIT 31
#define IDT_LIMIT 7
/* config GuestPhysicalMap: the MMIO gap and the boot-complete device at its start. */
#define MMIO_GAP_START 0xd0000000ULL
#define BOOT_DEVICE_ADDRESS MMIO_GAP_START
#define BOOT_COMPLETE_VALUE 123

#define PAGE_SIZE 4096UL
#define PTE_PRESENT 0x1ULL
#define PTE_WRITABLE 0x2ULL
#define PTE_LARGE 0x80ULL

#define CPUID_MAX_ENTRIES 256
#define CPUID_HYPERVISOR_BIT (1U << 31)
#define CPUID_TSC_DEADLINE_BIT (1U << 24)

#define CR0_PE 1ULL
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)

#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_DELIVERY_MODE_MASK 0x700
#define APIC_MODE_EXTINT (0x7 << 8)
#define APIC_MODE_NMI (0x4 << 8)

#define MSR_COUNT 11

/* The phases of vm-actor's Phase enum, by their JSON keys, in order. */
enum phase { REQUEST, MEMORY_READY, KERNEL_LOADED, VM_CREATED, VCPU_READY, FIRST_RUN, KERNEL_ENTRY, BOOT_COMPLETE, STOPPED, PHASES };
static const char *const PHASE_KEYS[PHASES] = {
	"request", "memoryReady", "kernelLoaded", "vmCreated", "vcpuReady", "firstKvmRun", "kernelEntry", "bootComplete", "stopped",
};

/* The guest's boot milestones on the debug port (devices' BootMilestonePort): the flat guest writes this one first. */
#define MILESTONE_PORT 0x80
#define MILESTONE_KERNEL_ENTRY 0x40

/* What every VM shares, built once. */
static struct {
	int kvm;
	int vcpu_mmap_size;
	int template_fd;
	uint64_t template_bytes;
	uint64_t ram_bytes;
	uint64_t entry;
	struct kvm_cpuid2 *cpuid;
	struct {
		struct kvm_msrs header;
		struct kvm_msr_entry entries[MSR_COUNT];
	} msrs;
	struct kvm_fpu fpu;
	long boot_timeout_ms;
} host;

struct vm {
	int index;
	uint8_t *ram;
	int vm_fd;
	int vcpu_fd;
	struct kvm_run *run;
	uint64_t at[PHASES];
	volatile int stop_requested;
	int booted;
	long exits;
	const char *failure;
	char detail[96];
	pthread_t thread;
	volatile int done;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static const char *errno_name(int err)
{
	const char *name = strerrorname_np(err);
	return name ? name : "?";
}

/* A host call failed: say which, with what, and the errno by name; the process ends (the OS frees everything). */
static void die_errno(const char *call, const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	fprintf(stderr, "floor-vmm: error: %s failed: ", call);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " errno=%d (%s)\n", err, errno_name(err));
	exit(1);
}

static void die(const char *fmt, ...)
{
	va_list ap;
	fputs("floor-vmm: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage(const char *why)
{
	fprintf(stderr, "floor-vmm: %s\nusage: floor-vmm --elf PATH [--count N] [--mem-mib M] [--boot-timeout-ms MS] [--wait-go]\n", why);
	exit(2);
}

/* ioctl that must return >= 0; name is the request's name as linux/kvm.h spells it. */
static int kvm_ioctl(int fd, unsigned long request, void *arg, const char *name, int vm_index)
{
	int rc = ioctl(fd, request, arg);
	if (rc < 0)
		die_errno(name, "vm=%d fd=%d", vm_index, fd);
	return rc;
}

/* ---- once per process ---------------------------------------------------------------------------------------- */

static uint8_t *read_file(const char *path, size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die_errno("open", "path=%s", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		die_errno("fstat", "path=%s", path);
	uint8_t *bytes = malloc(st.st_size ? st.st_size : 1);
	if (!bytes)
		die("out of memory reading %s: size=%lld", path, (long long)st.st_size);
	size_t done = 0;
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, bytes + done, st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die_errno("read", "path=%s offset=%zu", path, done);
		done += n;
	}
	close(fd);
	*size = done;
	return bytes;
}

/* Checks the ELF as kernel-cache's ElfParser does for what the flat guest needs; returns the end of its segments. */
static uint64_t check_elf(const char *path, const uint8_t *image, size_t size)
{
	if (size < sizeof(Elf64_Ehdr) || memcmp(image, ELFMAG, SELFMAG) != 0)
		die("not an ELF file: path=%s", path);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)image;
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64)
		die("not an ELF64 x86-64 image: path=%s class=%d machine=%d", path, eh->e_ident[EI_CLASS], eh->e_machine);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > size)
		die("ELF program headers out of the file: path=%s phoff=%" PRIu64 " phnum=%d", path, (uint64_t)eh->e_phoff, eh->e_phnum);
	uint64_t end = 0;
	int loads = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(image + eh->e_phoff) + i;
		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		loads++;
		if (ph->p_paddr < HIMEM_START || ph->p_filesz > ph->p_memsz || ph->p_offset + ph->p_filesz > size)
			die("bad PT_LOAD: path=%s paddr=0x%" PRIx64 " filesz=%" PRIu64 " memsz=%" PRIu64,
			    path, (uint64_t)ph->p_paddr, (uint64_t)ph->p_filesz, (uint64_t)ph->p_memsz);
		if (ph->p_paddr + ph->p_memsz > end)
			end = ph->p_paddr + ph->p_memsz;
	}
	if (loads == 0)
		die("no PT_LOAD segment: path=%s", path);
	if (end > host.ram_bytes || end > MMIO_GAP_START)
		die("the ELF does not fit in guest RAM: path=%s end=0x%" PRIx64 " ram_bytes=%" PRIu64, path, end, host.ram_bytes);
	if (eh->e_entry < HIMEM_START || eh->e_entry >= end)
		die("entry outside the image: path=%s entry=0x%" PRIx64, path, (uint64_t)eh->e_entry);
	host.entry = eh->e_entry;
	return end;
}

/* What kernel-cache's Gdt and PageTables write: the GDT (IDT left empty) and 4 GiB identity-mapped with 2 MiB pages. */
static void write_boot_structures(uint8_t *low)
{
	const uint64_t gdt[] = {0, GDT_CODE, GDT_DATA, GDT_TSS};
	memcpy(low + GDT_ADDRESS, gdt, sizeof(gdt));
	memset(low + IDT_ADDRESS, 0, IDT_LIMIT + 1);

	uint64_t *pml4 = (uint64_t *)(low + PML4_ADDRESS);
	uint64_t *pdpt = (uint64_t *)(low + PDPT_ADDRESS);
	pml4[0] = PDPT_ADDRESS | PTE_PRESENT | PTE_WRITABLE;
	for (int i = 0; i < 4; i++) {
		pdpt[i] = (PD_ADDRESS + i * PAGE_SIZE) | PTE_PRESENT | PTE_WRITABLE;
		uint64_t *pd = (uint64_t *)(low + PD_ADDRESS + i * PAGE_SIZE);
		for (int j = 0; j < 512; j++)
			pd[j] = ((uint64_t)(i * 512 + j) << 21) | PTE_PRESENT | PTE_WRITABLE | PTE_LARGE;
	}
}

/* The sealed template, as kvm's MemoryTemplate builds it: a memfd written once, trimmed to its content, sealed. */
static void build_template(const char *elf_path)
{
	size_t size;
	uint8_t *image = read_file(elf_path, &size);
	uint64_t end = check_elf(elf_path, image, size);
	host.template_bytes = (end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);

	int fd = memfd_create("floor-vmm", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		die_errno("memfd_create", "name=floor-vmm");
	if (ftruncate(fd, host.template_bytes) < 0)
		die_errno("ftruncate", "length=%" PRIu64, host.template_bytes);
	uint8_t *low = mmap(NULL, host.template_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (low == MAP_FAILED)
		die_errno("mmap", "template length=%" PRIu64, host.template_bytes);
	write_boot_structures(low);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)image;
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(image + eh->e_phoff) + i;
		if (ph->p_type == PT_LOAD && ph->p_memsz != 0)
			memcpy(low + ph->p_paddr, image + ph->p_offset, ph->p_filesz);
	}
	/* The shared writable mapping must go before F_SEAL_WRITE is accepted. */
	if (munmap(low, host.template_bytes) < 0)
		die_errno("munmap", "template");
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
		die_errno("fcntl(F_ADD_SEALS)", "memfd=floor-vmm");
	free(image);
	host.template_fd = fd;
}

/* The CPUID table, MSRs and FPU state of vm-actor's BootCpu, made once and only read by each VM's ioctls. */
static void prepare_boot_cpu(void)
{
	host.cpuid = calloc(1, sizeof(struct kvm_cpuid2) + CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2));
	if (!host.cpuid)
		die("out of memory for the CPUID table");
	host.cpuid->nent = CPUID_MAX_ENTRIES;
	kvm_ioctl(host.kvm, KVM_GET_SUPPORTED_CPUID, host.cpuid, "KVM_GET_SUPPORTED_CPUID", -1);
	for (uint32_t i = 0; i < host.cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &host.cpuid->entries[i];
		if (e->function == 1) {
			e->ecx |= CPUID_HYPERVISOR_BIT | CPUID_TSC_DEADLINE_BIT;
			e->ebx &= 0x00ffffff; /* initial APIC id 0 */
		}
	}

	static const struct { uint32_t index; uint64_t value; } msrs[MSR_COUNT] = {
		{0x174, 0}, {0x175, 0}, {0x176, 0},                   /* SYSENTER_CS/ESP/EIP */
		{0xc0000081, 0}, {0xc0000083, 0}, {0xc0000102, 0},    /* STAR, CSTAR, KERNEL_GS_BASE */
		{0xc0000084, 0}, {0xc0000082, 0},                     /* SYSCALL_MASK, LSTAR */
		{0x10, 0}, {0x1a0, 1}, {0x2ff, (1ULL << 11) | 6},     /* TSC, MISC_ENABLE fast strings, MTRR_DEF_TYPE WB */
	};
	host.msrs.header.nmsrs = MSR_COUNT;
	for (int i = 0; i < MSR_COUNT; i++) {
		host.msrs.entries[i].index = msrs[i].index;
		host.msrs.entries[i].data = msrs[i].value;
	}

	memset(&host.fpu, 0, sizeof(host.fpu));
	host.fpu.fcw = 0x37f;
	host.fpu.mxcsr = 0x1f80;
}

static void open_kvm(void)
{
	host.kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (host.kvm < 0)
		die_errno("open", "path=/dev/kvm");
	int api = kvm_ioctl(host.kvm, KVM_GET_API_VERSION, 0, "KVM_GET_API_VERSION", -1);
	if (api != KVM_API_VERSION)
		die("unsupported KVM API: api_version=%d expected=%d", api, KVM_API_VERSION);
	host.vcpu_mmap_size = kvm_ioctl(host.kvm, KVM_GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE", -1);
}

/* ---- per VM --------------------------------------------------------------------------------------------------- */

/* vm-actor's SpecialRegs.segmentFromDescriptor: a segment register as loading the GDT descriptor would set it. */
static void segment(struct kvm_segment *seg, uint16_t selector, uint64_t d)
{
	uint64_t limit = (d & 0xffff) | (((d >> 48) & 0xf) << 16);
	int granularity = (d >> 55) & 1;
	seg->base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24);
	seg->limit = (uint32_t)(granularity ? (limit << 12) | 0xfff : limit);
	seg->selector = selector;
	seg->type = (d >> 40) & 0xf;
	seg->present = (d >> 47) & 1;
	seg->dpl = (d >> 45) & 3;
	seg->db = (d >> 54) & 1;
	seg->s = (d >> 44) & 1;
	seg->l = (d >> 53) & 1;
	seg->g = granularity;
	seg->avl = (d >> 52) & 1;
	seg->unusable = 0;
}

/* BootCpu.apply: CPUID before MSRs and registers (KVM derives what the vCPU may do from its CPUID). */
static void boot_cpu(struct vm *vm)
{
	int fd = vm->vcpu_fd, i = vm->index;
	kvm_ioctl(fd, KVM_SET_CPUID2, host.cpuid, "KVM_SET_CPUID2", i);
	int set = kvm_ioctl(fd, KVM_SET_MSRS, &host.msrs, "KVM_SET_MSRS", i);
	if (set != MSR_COUNT)
		die("KVM_SET_MSRS failed: vm=%d set=%d requested=%d rejected_msr=0x%x", i, set, MSR_COUNT,
		    set >= 0 && set < MSR_COUNT ? host.msrs.entries[set].index : 0);

	struct kvm_regs regs;
	memset(&regs, 0, sizeof(regs));
	regs.rip = host.entry;
	regs.rsp = BOOT_STACK_POINTER;
	regs.rbp = BOOT_STACK_POINTER;
	regs.rsi = ZERO_PAGE_ADDRESS;
	regs.rflags = 0x2;
	kvm_ioctl(fd, KVM_SET_REGS, &regs, "KVM_SET_REGS", i);

	struct kvm_sregs sregs;
	kvm_ioctl(fd, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS", i);
	segment(&sregs.cs, CODE_SELECTOR, GDT_CODE);
	segment(&sregs.ds, DATA_SELECTOR, GDT_DATA);
	segment(&sregs.es, DATA_SELECTOR, GDT_DATA);
	segment(&sregs.fs, DATA_SELECTOR, GDT_DATA);
	segment(&sregs.gs, DATA_SELECTOR, GDT_DATA);
	segment(&sregs.ss, DATA_SELECTOR, GDT_DATA);
	segment(&sregs.tr, TSS_SELECTOR, GDT_TSS);
	sregs.gdt.base = GDT_ADDRESS;
	sregs.gdt.limit = GDT_LIMIT;
	sregs.idt.base = IDT_ADDRESS;
	sregs.idt.limit = IDT_LIMIT;
	sregs.cr0 |= CR0_PE | CR0_PG;
	sregs.cr4 |= CR4_PAE;
	sregs.cr3 = PML4_ADDRESS;
	sregs.efer |= EFER_LME | EFER_LMA;
	kvm_ioctl(fd, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS", i);

	kvm_ioctl(fd, KVM_SET_FPU, &host.fpu, "KVM_SET_FPU", i);

	struct kvm_lapic_state lapic;
	kvm_ioctl(fd, KVM_GET_LAPIC, &lapic, "KVM_GET_LAPIC", i);
	uint32_t *lint0 = (uint32_t *)(lapic.regs + APIC_LVT_LINT0);
	uint32_t *lint1 = (uint32_t *)(lapic.regs + APIC_LVT_LINT1);
	*lint0 = (*lint0 & ~APIC_DELIVERY_MODE_MASK) | APIC_MODE_EXTINT;
	*lint1 = (*lint1 & ~APIC_DELIVERY_MODE_MASK) | APIC_MODE_NMI;
	kvm_ioctl(fd, KVM_SET_LAPIC, &lapic, "KVM_SET_LAPIC", i);
}

/* Vm.build: memory, boot memory, VM-wide setup, vCPU 0 in its boot state; each phase stamped as Hatchery stamps it. */
static void build(struct vm *vm)
{
	int i = vm->index;
	vm->ram = mmap(NULL, host.ram_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED)
		die_errno("mmap", "vm=%d ram_bytes=%" PRIu64, i, host.ram_bytes);
	vm->at[MEMORY_READY] = now_ns();

	if (mmap(vm->ram, host.template_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, host.template_fd, 0) == MAP_FAILED)
		die_errno("mmap", "vm=%d template_bytes=%" PRIu64 " (MAP_PRIVATE|MAP_FIXED over the RAM)", i, host.template_bytes);
	vm->at[KERNEL_LOADED] = now_ns();

	vm->vm_fd = kvm_ioctl(host.kvm, KVM_CREATE_VM, 0, "KVM_CREATE_VM", i);
	kvm_ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (void *)TSS_ADDRESS, "KVM_SET_TSS_ADDR", i);
	kvm_ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0, "KVM_CREATE_IRQCHIP", i);
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
	kvm_ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit, "KVM_CREATE_PIT2", i);
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = host.ram_bytes, .userspace_addr = (uint64_t)(uintptr_t)vm->ram,
	};
	kvm_ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region, "KVM_SET_USER_MEMORY_REGION", i);
	vm->at[VM_CREATED] = now_ns();

	vm->vcpu_fd = kvm_ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0, "KVM_CREATE_VCPU", i);
	vm->run = mmap(NULL, host.vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED)
		die_errno("mmap", "vm=%d kvm_run size=%d", i, host.vcpu_mmap_size);
	boot_cpu(vm);
	vm->at[VCPU_READY] = now_ns();
}

/* vCPU, VM, then memory: KVM drops its references before the mapping goes (Vm.release). */
static void release(struct vm *vm)
{
	if (munmap(vm->run, host.vcpu_mmap_size) < 0)
		die_errno("munmap", "vm=%d kvm_run", vm->index);
	close(vm->vcpu_fd);
	close(vm->vm_fd);
	if (munmap(vm->ram, host.ram_bytes) < 0)
		die_errno("munmap", "vm=%d ram", vm->index);
}

static void fail(struct vm *vm, const char *code, const char *fmt, ...)
{
	va_list ap;
	vm->failure = code;
	va_start(ap, fmt);
	vsnprintf(vm->detail, sizeof(vm->detail), fmt, ap);
	va_end(ap);
}

/* VcpuLoop.run for the flat guest: the boot-complete write, then the triple fault that ends it. */
static void *run_vcpu(void *arg)
{
	struct vm *vm = arg;
	struct kvm_run *run = vm->run;
	vm->at[FIRST_RUN] = now_ns();
	for (;;) {
		if (vm->stop_requested) {
			fail(vm, "boot_timeout", "timeoutMs=%ld", host.boot_timeout_ms);
			break;
		}
		int rc = ioctl(vm->vcpu_fd, KVM_RUN, 0);
		vm->exits++;
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			die_errno("KVM_RUN", "vm=%d", vm->index);
		}
		if (run->exit_reason == KVM_EXIT_MMIO) {
			if (run->mmio.is_write && run->mmio.phys_addr == BOOT_DEVICE_ADDRESS && run->mmio.len >= 1
			    && run->mmio.data[0] == BOOT_COMPLETE_VALUE && !vm->booted) {
				vm->at[BOOT_COMPLETE] = now_ns();
				vm->booted = 1;
			}
		} else if (run->exit_reason == KVM_EXIT_IO) {
			/* no devices but the milestone port: other port writes are dropped, reads see what kvm_run holds */
			if (run->io.direction == KVM_EXIT_IO_OUT && run->io.port == MILESTONE_PORT && run->io.size == 1
			    && ((uint8_t *)run)[run->io.data_offset] == MILESTONE_KERNEL_ENTRY && !vm->at[KERNEL_ENTRY])
				vm->at[KERNEL_ENTRY] = now_ns();
		} else if (run->exit_reason == KVM_EXIT_SHUTDOWN) {
			if (!vm->booted)
				fail(vm, "triple_fault", "before_boot_complete");
			break;
		} else if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
			/* e.g. a nested KVM that cannot deliver the guest's exception (the flat guest's int3) */
			fail(vm, "internal_error", "suberror=%u", run->internal.suberror);
			break;
		} else if (run->exit_reason == KVM_EXIT_FAIL_ENTRY) {
			fail(vm, "entry_failed", "hardware_entry_failure_reason=0x%llx",
			     (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			break;
		} else {
			fail(vm, "unhandled_exit", "exit_reason=%u", run->exit_reason);
			break;
		}
	}
	release(vm);
	vm->at[STOPPED] = now_ns();
	__atomic_store_n(&vm->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void on_kick(int sig)
{
	(void)sig; /* only interrupts KVM_RUN */
}

/* Waits for the vCPU thread; past the boot timeout, kicks it out of KVM_RUN (immediate_exit + a signal), as Vm.stop does. */
static void wait_for(struct vm *vm)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += host.boot_timeout_ms / 1000;
	deadline.tv_nsec += (host.boot_timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	int rc = pthread_timedjoin_np(vm->thread, NULL, &deadline);
	while (rc == ETIMEDOUT) {
		vm->stop_requested = 1;
		if (!__atomic_load_n(&vm->done, __ATOMIC_ACQUIRE)) {
			vm->run->immediate_exit = 1;
			pthread_kill(vm->thread, SIGUSR1);
		}
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_nsec += 100000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		rc = pthread_timedjoin_np(vm->thread, NULL, &deadline);
	}
	if (rc != 0) {
		errno = rc;
		die_errno("pthread_timedjoin_np", "vm=%d", vm->index);
	}
}

static void print_vm(const struct vm *vm)
{
	if (vm->failure)
		printf("vm index=%d outcome=failed failure=%s detail=%s", vm->index, vm->failure, vm->detail);
	else
		printf("vm index=%d outcome=booted", vm->index);
	for (int p = 0; p < PHASES; p++)
		if (vm->at[p])
			printf(" %s=%" PRIu64, PHASE_KEYS[p], vm->at[p]);
	printf(" exits=%ld\n", vm->exits);
}

int main(int argc, char **argv)
{
	const char *elf = NULL;
	long count = 1, mem_mib = 128;
	int wait_go = 0;
	host.boot_timeout_ms = 10000;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;
		char *end = NULL;
		if (strcmp(arg, "--wait-go") == 0) {
			wait_go = 1;
			continue;
		}
		if (!value)
			usage("missing value");
		i++;
		if (strcmp(arg, "--elf") == 0) {
			elf = value;
			continue;
		}
		long n = strtol(value, &end, 10);
		if (*value == '\0' || *end != '\0' || n < 1)
			usage("a number of at least 1 expected");
		if (strcmp(arg, "--count") == 0)
			count = n;
		else if (strcmp(arg, "--mem-mib") == 0)
			mem_mib = n;
		else if (strcmp(arg, "--boot-timeout-ms") == 0)
			host.boot_timeout_ms = n;
		else
			usage("unknown option");
	}
	if (!elf)
		usage("--elf PATH is required");
	if (mem_mib < 2 || mem_mib > 3328)
		usage("--mem-mib must be between 2 and 3328");
	host.ram_bytes = (uint64_t)mem_mib << 20;

	struct sigaction kick = {.sa_handler = on_kick}; /* no SA_RESTART: KVM_RUN returns EINTR */
	sigemptyset(&kick.sa_mask);
	if (sigaction(SIGUSR1, &kick, NULL) < 0)
		die_errno("sigaction", "signal=SIGUSR1");

	open_kvm();
	prepare_boot_cpu();
	build_template(elf);
	printf("ready pid=%d ram_bytes=%" PRIu64 " template_bytes=%" PRIu64 " entry=0x%" PRIx64 " cpuid_entries=%u\n",
	       getpid(), host.ram_bytes, host.template_bytes, host.entry, host.cpuid->nent);
	fflush(stdout);
	if (wait_go) {
		char line[16];
		if (!fgets(line, sizeof(line), stdin))
			die("stdin closed before the go line");
	}

	long booted = 0;
	printf("start at=%" PRIu64 "\n", now_ns());
	for (long i = 0; i < count; i++) {
		struct vm vm;
		memset(&vm, 0, sizeof(vm));
		vm.index = (int)i;
		vm.at[REQUEST] = now_ns();
		build(&vm);
		int rc = pthread_create(&vm.thread, NULL, run_vcpu, &vm);
		if (rc != 0) {
			errno = rc;
			die_errno("pthread_create", "vm=%d", vm.index);
		}
		wait_for(&vm);
		booted += vm.failure ? 0 : 1;
		print_vm(&vm);
	}
	printf("end at=%" PRIu64 " vms=%ld booted=%ld\n", now_ns(), count, booted);
	fflush(stdout);

	close(host.template_fd);
	free(host.cpuid);
	close(host.kvm);
	return 0;
}
