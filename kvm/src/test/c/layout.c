/*
 * Prints the native facts the kvm module hard-codes, read from this machine's headers, as name=value lines:
 * struct sizes and field offsets, ioctl request numbers and flag values. NativeLayoutTest compiles and runs
 * this program and compares every line with the Java constant that the production code uses, so a wrong
 * offset fails the build instead of corrupting a guest. Add a line here together with its Java check.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/virtio_net.h>

#define PRINT(name, value) printf("%s=%lld\n", name, (long long)(value))
#define CONST(name) PRINT(#name, name)
#define SIZE(type) PRINT("sizeof(" #type ")", sizeof(type))
#define OFFSET(type, field) PRINT("offsetof(" #type ", " #field ")", offsetof(type, field))
#define LENGTH(type, field) PRINT("countof(" #type ", " #field ")", \
    sizeof(((type *)0)->field) / sizeof(((type *)0)->field[0]))

static void kvm_system(void)
{
    CONST(KVM_API_VERSION);
    CONST(KVM_GET_API_VERSION);
    CONST(KVM_CREATE_VM);
    CONST(KVM_CHECK_EXTENSION);
    CONST(KVM_GET_VCPU_MMAP_SIZE);
    CONST(KVM_GET_SUPPORTED_CPUID);
    CONST(KVM_GET_MSR_INDEX_LIST);
    OFFSET(struct kvm_msr_list, nmsrs);
    OFFSET(struct kvm_msr_list, indices);

    CONST(KVM_CAP_IRQCHIP);
    CONST(KVM_CAP_USER_MEMORY);
    CONST(KVM_CAP_SET_TSS_ADDR);
    CONST(KVM_CAP_EXT_CPUID);
    CONST(KVM_CAP_IRQFD);
    CONST(KVM_CAP_PIT2);
    CONST(KVM_CAP_IOEVENTFD);
    CONST(KVM_CAP_IMMEDIATE_EXIT);
    CONST(KVM_CAP_TSC_DEADLINE_TIMER);

    SIZE(struct kvm_cpuid2);
    OFFSET(struct kvm_cpuid2, nent);
    OFFSET(struct kvm_cpuid2, entries);
    SIZE(struct kvm_cpuid_entry2);
    OFFSET(struct kvm_cpuid_entry2, function);
    OFFSET(struct kvm_cpuid_entry2, index);
    OFFSET(struct kvm_cpuid_entry2, eax);
    OFFSET(struct kvm_cpuid_entry2, ebx);
    OFFSET(struct kvm_cpuid_entry2, ecx);
    OFFSET(struct kvm_cpuid_entry2, edx);
}

static void kvm_vm(void)
{
    CONST(KVM_CREATE_VCPU);
    CONST(KVM_SET_USER_MEMORY_REGION);
    CONST(KVM_SET_TSS_ADDR);
    CONST(KVM_SET_IDENTITY_MAP_ADDR);
    CONST(KVM_CREATE_IRQCHIP);
    CONST(KVM_IRQ_LINE);
    CONST(KVM_IRQFD);
    CONST(KVM_CREATE_PIT2);
    CONST(KVM_IOEVENTFD);
    CONST(KVM_GET_IRQCHIP);
    CONST(KVM_SET_IRQCHIP);
    CONST(KVM_GET_PIT2);
    CONST(KVM_SET_PIT2);
    SIZE(struct kvm_irqchip);
    SIZE(struct kvm_pit_state2);
    CONST(KVM_IRQCHIP_PIC_MASTER);
    CONST(KVM_IRQCHIP_PIC_SLAVE);
    CONST(KVM_IRQCHIP_IOAPIC);

    SIZE(struct kvm_userspace_memory_region);
    OFFSET(struct kvm_userspace_memory_region, slot);
    OFFSET(struct kvm_userspace_memory_region, flags);
    OFFSET(struct kvm_userspace_memory_region, guest_phys_addr);
    OFFSET(struct kvm_userspace_memory_region, memory_size);
    OFFSET(struct kvm_userspace_memory_region, userspace_addr);

    SIZE(struct kvm_irq_level);
    OFFSET(struct kvm_irq_level, irq);
    OFFSET(struct kvm_irq_level, level);

    SIZE(struct kvm_pit_config);
    OFFSET(struct kvm_pit_config, flags);
    CONST(KVM_PIT_SPEAKER_DUMMY);

    SIZE(struct kvm_ioeventfd);
    OFFSET(struct kvm_ioeventfd, datamatch);
    OFFSET(struct kvm_ioeventfd, addr);
    OFFSET(struct kvm_ioeventfd, len);
    OFFSET(struct kvm_ioeventfd, fd);
    OFFSET(struct kvm_ioeventfd, flags);
    CONST(KVM_IOEVENTFD_FLAG_DATAMATCH);
    CONST(KVM_IOEVENTFD_FLAG_PIO);
    CONST(KVM_IOEVENTFD_FLAG_DEASSIGN);

    SIZE(struct kvm_irqfd);
    OFFSET(struct kvm_irqfd, fd);
    OFFSET(struct kvm_irqfd, gsi);
    OFFSET(struct kvm_irqfd, flags);
    OFFSET(struct kvm_irqfd, resamplefd);
    CONST(KVM_IRQFD_FLAG_DEASSIGN);
}

static void kvm_vcpu(void)
{
    CONST(KVM_RUN);
    CONST(KVM_GET_REGS);
    CONST(KVM_SET_REGS);
    CONST(KVM_GET_SREGS);
    CONST(KVM_SET_SREGS);
    CONST(KVM_SET_MSRS);
    CONST(KVM_SET_FPU);
    CONST(KVM_GET_LAPIC);
    CONST(KVM_SET_LAPIC);
    CONST(KVM_SET_CPUID2);
    CONST(KVM_SET_SIGNAL_MASK);
    CONST(KVM_GET_MSRS);
    CONST(KVM_GET_MP_STATE);
    CONST(KVM_SET_MP_STATE);
    CONST(KVM_GET_VCPU_EVENTS);
    CONST(KVM_SET_VCPU_EVENTS);
    CONST(KVM_GET_DEBUGREGS);
    CONST(KVM_SET_DEBUGREGS);
    CONST(KVM_GET_XSAVE);
    CONST(KVM_SET_XSAVE);
    CONST(KVM_GET_XCRS);
    CONST(KVM_GET_CLOCK);
    CONST(KVM_SET_CLOCK);
    CONST(KVM_SET_DEVICE_ATTR);
    CONST(KVM_GET_DEVICE_ATTR);
    CONST(KVM_HAS_DEVICE_ATTR);
    CONST(KVM_VCPU_TSC_CTRL);
    CONST(KVM_VCPU_TSC_OFFSET);
    CONST(KVM_SET_XCRS);
    SIZE(struct kvm_mp_state);
    SIZE(struct kvm_vcpu_events);
    SIZE(struct kvm_debugregs);
    SIZE(struct kvm_xsave);
    SIZE(struct kvm_xcrs);
    SIZE(struct kvm_clock_data);
    OFFSET(struct kvm_clock_data, flags);
    SIZE(struct kvm_device_attr);
    OFFSET(struct kvm_device_attr, group);
    OFFSET(struct kvm_device_attr, attr);
    OFFSET(struct kvm_device_attr, addr);
    SIZE(struct kvm_signal_mask);
    OFFSET(struct kvm_signal_mask, sigset);

    SIZE(struct kvm_regs);
    OFFSET(struct kvm_regs, rax);
    OFFSET(struct kvm_regs, rbx);
    OFFSET(struct kvm_regs, rcx);
    OFFSET(struct kvm_regs, rdx);
    OFFSET(struct kvm_regs, rsi);
    OFFSET(struct kvm_regs, rdi);
    OFFSET(struct kvm_regs, rsp);
    OFFSET(struct kvm_regs, rbp);
    OFFSET(struct kvm_regs, r8);
    OFFSET(struct kvm_regs, r9);
    OFFSET(struct kvm_regs, r10);
    OFFSET(struct kvm_regs, r11);
    OFFSET(struct kvm_regs, r12);
    OFFSET(struct kvm_regs, r13);
    OFFSET(struct kvm_regs, r14);
    OFFSET(struct kvm_regs, r15);
    OFFSET(struct kvm_regs, rip);
    OFFSET(struct kvm_regs, rflags);

    SIZE(struct kvm_sregs);
    OFFSET(struct kvm_sregs, cs);
    OFFSET(struct kvm_sregs, ds);
    OFFSET(struct kvm_sregs, es);
    OFFSET(struct kvm_sregs, fs);
    OFFSET(struct kvm_sregs, gs);
    OFFSET(struct kvm_sregs, ss);
    OFFSET(struct kvm_sregs, tr);
    OFFSET(struct kvm_sregs, ldt);
    OFFSET(struct kvm_sregs, gdt);
    OFFSET(struct kvm_sregs, idt);
    OFFSET(struct kvm_sregs, cr0);
    OFFSET(struct kvm_sregs, cr3);
    OFFSET(struct kvm_sregs, cr4);
    OFFSET(struct kvm_sregs, efer);
    SIZE(struct kvm_segment);
    OFFSET(struct kvm_segment, base);
    OFFSET(struct kvm_segment, limit);
    OFFSET(struct kvm_segment, selector);
    OFFSET(struct kvm_segment, type);
    OFFSET(struct kvm_segment, present);
    OFFSET(struct kvm_segment, dpl);
    OFFSET(struct kvm_segment, db);
    OFFSET(struct kvm_segment, s);
    OFFSET(struct kvm_segment, l);
    OFFSET(struct kvm_segment, g);
    OFFSET(struct kvm_segment, avl);
    OFFSET(struct kvm_segment, unusable);
    OFFSET(struct kvm_dtable, base);
    OFFSET(struct kvm_dtable, limit);

    SIZE(struct kvm_msrs);
    OFFSET(struct kvm_msrs, nmsrs);
    OFFSET(struct kvm_msrs, entries);
    SIZE(struct kvm_msr_entry);
    OFFSET(struct kvm_msr_entry, index);
    OFFSET(struct kvm_msr_entry, data);

    SIZE(struct kvm_fpu);
    OFFSET(struct kvm_fpu, fcw);
    OFFSET(struct kvm_fpu, mxcsr);

    SIZE(struct kvm_lapic_state);
}

static void kvm_run(void)
{
    OFFSET(struct kvm_run, immediate_exit);
    OFFSET(struct kvm_run, exit_reason);
    OFFSET(struct kvm_run, io.direction);
    OFFSET(struct kvm_run, io.size);
    OFFSET(struct kvm_run, io.port);
    OFFSET(struct kvm_run, io.count);
    OFFSET(struct kvm_run, io.data_offset);
    CONST(KVM_EXIT_IO_OUT);
    OFFSET(struct kvm_run, mmio.phys_addr);
    OFFSET(struct kvm_run, mmio.data);
    OFFSET(struct kvm_run, mmio.len);
    OFFSET(struct kvm_run, mmio.is_write);
    OFFSET(struct kvm_run, fail_entry.hardware_entry_failure_reason);
    OFFSET(struct kvm_run, internal.suberror);
    OFFSET(struct kvm_run, internal.ndata);
    OFFSET(struct kvm_run, internal.data);
    LENGTH(struct kvm_run, internal.data);
    OFFSET(struct kvm_run, system_event.type);

    CONST(KVM_EXIT_UNKNOWN);
    CONST(KVM_EXIT_EXCEPTION);
    CONST(KVM_EXIT_IO);
    CONST(KVM_EXIT_HYPERCALL);
    CONST(KVM_EXIT_DEBUG);
    CONST(KVM_EXIT_HLT);
    CONST(KVM_EXIT_MMIO);
    CONST(KVM_EXIT_IRQ_WINDOW_OPEN);
    CONST(KVM_EXIT_SHUTDOWN);
    CONST(KVM_EXIT_FAIL_ENTRY);
    CONST(KVM_EXIT_INTR);
    CONST(KVM_EXIT_SET_TPR);
    CONST(KVM_EXIT_TPR_ACCESS);
    CONST(KVM_EXIT_S390_SIEIC);
    CONST(KVM_EXIT_S390_RESET);
    CONST(KVM_EXIT_DCR);
    CONST(KVM_EXIT_NMI);
    CONST(KVM_EXIT_INTERNAL_ERROR);
    CONST(KVM_EXIT_OSI);
    CONST(KVM_EXIT_PAPR_HCALL);
    CONST(KVM_EXIT_S390_UCONTROL);
    CONST(KVM_EXIT_WATCHDOG);
    CONST(KVM_EXIT_S390_TSCH);
    CONST(KVM_EXIT_EPR);
    CONST(KVM_EXIT_SYSTEM_EVENT);
    CONST(KVM_SYSTEM_EVENT_SHUTDOWN);
    CONST(KVM_SYSTEM_EVENT_RESET);
    CONST(KVM_SYSTEM_EVENT_CRASH);
}

static void net(void)
{
    CONST(TUNSETIFF);
    CONST(TUNSETPERSIST);
    CONST(TUNSETOFFLOAD);
    CONST(TUNSETVNETHDRSZ);
    CONST(SIOCGIFFLAGS);
    CONST(SIOCSIFFLAGS);
    CONST(SIOCGIFADDR);
    CONST(SIOCSIFADDR);
    CONST(SIOCGIFNETMASK);
    CONST(SIOCSIFNETMASK);

    CONST(IFF_TAP);
    CONST(IFF_NO_PI);
    CONST(IFF_VNET_HDR);
    PRINT("IFF_TAP | IFF_NO_PI | IFF_VNET_HDR", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
    CONST(TUN_F_CSUM);
    CONST(TUN_F_TSO4);
    CONST(TUN_F_TSO6);
    CONST(TUN_F_TSO_ECN);
    CONST(TUN_F_UFO);
    SIZE(struct virtio_net_hdr_v1);

    CONST(IFF_UP);
    CONST(IFF_BROADCAST);
    CONST(IFF_LOOPBACK);
    CONST(IFF_RUNNING);
    CONST(AF_INET);
    CONST(SOCK_DGRAM);
    CONST(SOCK_CLOEXEC);

    CONST(IFNAMSIZ);
    SIZE(struct ifreq);
    OFFSET(struct ifreq, ifr_name);
    OFFSET(struct ifreq, ifr_flags);
    OFFSET(struct ifreq, ifr_addr);
    OFFSET(struct ifreq, ifr_netmask);
    PRINT("offsetof(struct ifreq, ifr_addr) + offsetof(struct sockaddr_in, sin_family)",
        offsetof(struct ifreq, ifr_addr) + offsetof(struct sockaddr_in, sin_family));
    PRINT("offsetof(struct ifreq, ifr_addr) + offsetof(struct sockaddr_in, sin_port)",
        offsetof(struct ifreq, ifr_addr) + offsetof(struct sockaddr_in, sin_port));
    PRINT("offsetof(struct ifreq, ifr_addr) + offsetof(struct sockaddr_in, sin_addr)",
        offsetof(struct ifreq, ifr_addr) + offsetof(struct sockaddr_in, sin_addr));
}

static void libc(void)
{
    CONST(O_RDONLY);
    CONST(O_RDWR);
    CONST(O_NONBLOCK);
    CONST(O_CLOEXEC);
    CONST(PROT_READ);
    CONST(PROT_WRITE);
    CONST(MAP_SHARED);
    CONST(MAP_PRIVATE);
    CONST(MAP_FIXED);
    CONST(MAP_ANONYMOUS);
    CONST(MAP_NORESERVE);
    CONST(MAP_HUGETLB);
    PRINT("MAP_FAILED", (intptr_t)MAP_FAILED);
    CONST(MADV_HUGEPAGE);
    CONST(MADV_DONTNEED);

    CONST(MFD_CLOEXEC);
    CONST(MFD_ALLOW_SEALING);
    CONST(F_ADD_SEALS);
    CONST(F_GET_SEALS);
    CONST(F_SEAL_SEAL);
    CONST(F_SEAL_SHRINK);
    CONST(F_SEAL_GROW);
    CONST(F_SEAL_WRITE);
    PRINT("F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE",
        F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);

    CONST(EFD_NONBLOCK);
    CONST(EFD_CLOEXEC);
    SIZE(eventfd_t);

    CONST(EPOLLIN);
    CONST(EPOLLOUT);
    CONST(EPOLLERR);
    CONST(EPOLLHUP);
    CONST(EPOLLRDHUP);
    CONST(EPOLLET);
    CONST(EPOLL_CLOEXEC);
    CONST(EPOLL_CTL_ADD);
    CONST(EPOLL_CTL_DEL);
    CONST(EPOLL_CTL_MOD);
    SIZE(struct epoll_event);
    OFFSET(struct epoll_event, events);
    OFFSET(struct epoll_event, data);

    CONST(SIGUSR1);
    CONST(SIG_BLOCK);
    SIZE(sigset_t);
    SIZE(struct timespec);
}

/* Every name Errno knows: its constants and its name table. */
static void errnos(void)
{
    CONST(EPERM);
    CONST(ENOENT);
    CONST(ESRCH);
    CONST(EINTR);
    CONST(EIO);
    CONST(ENXIO);
    CONST(E2BIG);
    CONST(ENOEXEC);
    CONST(EBADF);
    CONST(ECHILD);
    CONST(EAGAIN);
    CONST(ENOMEM);
    CONST(EACCES);
    CONST(EFAULT);
    CONST(EBUSY);
    CONST(EEXIST);
    CONST(EXDEV);
    CONST(ENODEV);
    CONST(ENOTDIR);
    CONST(EISDIR);
    CONST(EINVAL);
    CONST(ENFILE);
    CONST(EMFILE);
    CONST(ENOTTY);
    CONST(ETXTBSY);
    CONST(EFBIG);
    CONST(ENOSPC);
    CONST(ESPIPE);
    CONST(EROFS);
    CONST(EPIPE);
    CONST(ERANGE);
    CONST(EDEADLK);
    CONST(ENOSYS);
    CONST(EOVERFLOW);
    CONST(EOPNOTSUPP);
    CONST(EADDRINUSE);
    CONST(EADDRNOTAVAIL);
    CONST(ENETDOWN);
    CONST(ENETUNREACH);
    CONST(ETIMEDOUT);
}

int main(void)
{
    kvm_system();
    kvm_vm();
    kvm_vcpu();
    kvm_run();
    net();
    libc();
    errnos();
    return 0;
}
