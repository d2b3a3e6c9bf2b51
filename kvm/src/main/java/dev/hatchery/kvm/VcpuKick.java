package dev.hatchery.kvm;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicBoolean;

import com.sun.jna.LastErrorException;

import org.agrona.concurrent.UnsafeBuffer;

import sun.misc.Signal;

/**
 * Gets a vCPU thread out of a blocking KVM_RUN with a thread-directed signal, without any handler running
 * and without starting a thread. A vCPU thread blocks the kick signal for its whole life
 * ({@link #blockOnCurrentThread()}) and gives KVM a run mask that unblocks it ({@link KvmVcpu#setSignalMask}):
 * a kick sent while the thread is inside KVM_RUN makes it return EINTR, and since the signal is blocked again
 * before the thread reaches user space, it stays pending instead of being delivered; the thread discards it
 * ({@link #discardPending()}) before its next VM. A kick that lands outside KVM_RUN stays pending too, and
 * makes the next KVM_RUN return at once. Pair it with {@link KvmRun#immediateExit(boolean)} for a thread that
 * has checked its stop flag but not yet entered the guest. (A Java signal handler, used before, started a new
 * "SIGUSR1 handler" thread for every kick delivered.)
 */
public final class VcpuKick
{
    /** SIGUSR1: unused by HotSpot on Linux (it reserves SIGUSR2 for itself). */
    private static final String SIGNAL_NAME = "USR1";
    private static final int SIGNAL_NUMBER = 10;
    private static final int SIG_BLOCK = 0;
    /** glibc's sigset_t. */
    private static final int SIGSET_LENGTH = 128;
    private static final int TIMESPEC_LENGTH = 16;
    private static final long KICK_BIT = 1L << (SIGNAL_NUMBER - 1);
    private static final AtomicBoolean INSTALLED = new AtomicBoolean();
    /** Read-only for the kernel, so shared by every thread: the set {SIGUSR1} and a zero timeout. */
    private static final UnsafeBuffer KICK_SET = zeroed(SIGSET_LENGTH);
    private static final UnsafeBuffer NO_WAIT = zeroed(TIMESPEC_LENGTH);

    static
    {
        KICK_SET.putLong(0, KICK_BIT);
    }

    private VcpuKick()
    {
    }

    /**
     * Installs a no-op handler once per process. Kicks never reach it (vCPU threads block the signal); it is
     * there so that a stray process-directed SIGUSR1 (kill -USR1) does not kill the JVM, which the default
     * action would.
     */
    public static void installHandler()
    {
        if (INSTALLED.compareAndSet(false, true))
        {
            Signal.handle(new Signal(SIGNAL_NAME), signal -> { });
        }
    }

    /**
     * Blocks the kick signal on the calling thread, for good, and returns the mask its KVM_RUNs must use: the
     * thread's mask without the kick. Called once by each vCPU thread before its first VM.
     */
    public static RunSignalMask blockOnCurrentThread()
    {
        final UnsafeBuffer previous = zeroed(SIGSET_LENGTH);
        final int error = LibC.pthread_sigmask(SIG_BLOCK, KICK_SET.addressOffset(), previous.addressOffset());
        if (error != 0)
        {
            throw new NativeCallException("pthread_sigmask(SIG_BLOCK)", "signal=SIG" + SIGNAL_NAME, error);
        }
        return new RunSignalMask(previous.getLong(0) & ~KICK_BIT);
    }

    /**
     * Takes a pending kick off the calling thread, if there is one (sigtimedwait without waiting), so that the
     * thread's next VM does not leave KVM_RUN at once. Returns whether one was pending.
     */
    public static boolean discardPending()
    {
        try
        {
            return LibC.sigtimedwait(KICK_SET.addressOffset(), 0, NO_WAIT.addressOffset()) == SIGNAL_NUMBER;
        }
        catch (final LastErrorException ex)
        {
            if (ex.getErrorCode() == Errno.EAGAIN)
            {
                return false;
            }
            throw new NativeCallException("sigtimedwait", "signal=SIG" + SIGNAL_NAME, ex.getErrorCode());
        }
    }

    /** The calling thread's pthread id, recorded by the vCPU thread when it starts. */
    public static long currentThread()
    {
        return LibC.pthread_self();
    }

    /** Sends the kick signal to a thread; ESRCH (thread already gone) is not an error. */
    public static void kick(final long pthread)
    {
        final int error = LibC.pthread_kill(pthread, SIGNAL_NUMBER);
        if (error != 0 && error != 3)
        {
            throw new NativeCallException("pthread_kill", "signal=SIG" + SIGNAL_NAME, error);
        }
    }

    private static UnsafeBuffer zeroed(final int length)
    {
        return new UnsafeBuffer(ByteBuffer.allocateDirect(length).order(ByteOrder.nativeOrder()));
    }
}
