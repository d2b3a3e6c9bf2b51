package dev.hatchery.kvm;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;

/**
 * Direct-mapped libc: the C names and argument order of the man pages, so each call can be checked
 * against them. Pointers travel as {@code long} addresses (Agrona buffers expose theirs), which keeps
 * one fixed-arity {@code ioctl} for every request and no varargs on the hot path.
 */
final class LibC
{
    static
    {
        Native.register("c");
    }

    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;

    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 0x01;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_FIXED = 0x10;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_NORESERVE = 0x4000;
    static final long MAP_FAILED = -1L;

    private LibC()
    {
    }

    static native int open(String pathname, int flags) throws LastErrorException;

    static native int close(int fd) throws LastErrorException;

    static native int ioctl(int fd, long request, long arg) throws LastErrorException;

    static native long mmap(long addr, long length, int prot, int flags, int fd, long offset) throws LastErrorException;

    static native int munmap(long addr, long length) throws LastErrorException;

    static native int madvise(long addr, long length, int advice) throws LastErrorException;

    static native int memfd_create(String name, int flags) throws LastErrorException;

    static native int ftruncate(int fd, long length) throws LastErrorException;

    static native int fcntl(int fd, int cmd, int arg) throws LastErrorException;

    static native int eventfd(int initval, int flags) throws LastErrorException;

    static native long read(int fd, long buf, long count) throws LastErrorException;

    static native long pread(int fd, long buf, long count, long offset) throws LastErrorException;

    static native long write(int fd, long buf, long count) throws LastErrorException;

    static native long pthread_self();

    /** Returns an error number instead of setting errno (pthreads convention). */
    static native int pthread_kill(long thread, int sig);

    /** Returns an error number instead of setting errno (pthreads convention). */
    static native int pthread_sigmask(int how, long set, long oldset);

    static native int sigtimedwait(long set, long info, long timeout) throws LastErrorException;

    static native int socket(int domain, int type, int protocol) throws LastErrorException;

    static native int epoll_create1(int flags) throws LastErrorException;

    static native int epoll_ctl(int epfd, int op, int fd, long event) throws LastErrorException;

    static native int epoll_wait(int epfd, long events, int maxevents, int timeout) throws LastErrorException;

    /** Returns 0 when there is no such interface: a missing name is an answer here, not an error. */
    static native int if_nametoindex(String ifname);
}
