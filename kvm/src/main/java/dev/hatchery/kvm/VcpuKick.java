package dev.hatchery.kvm;

import java.util.concurrent.atomic.AtomicBoolean;

import sun.misc.Signal;

/**
 * Gets a thread out of a blocking KVM_RUN: a signal with a (no-op) handler makes KVM_RUN return
 * EINTR. Pair it with {@link KvmRun#immediateExit(boolean)} to cover a thread that has checked its
 * stop flag but not yet entered the guest.
 */
public final class VcpuKick
{
    /** SIGUSR1: unused by HotSpot on Linux (it reserves SIGUSR2 for itself). */
    private static final String SIGNAL_NAME = "USR1";
    private static final int SIGNAL_NUMBER = 10;
    private static final AtomicBoolean INSTALLED = new AtomicBoolean();

    private VcpuKick()
    {
    }

    /** Installs the no-op handler once per process; without a handler the signal would kill the JVM. */
    public static void installHandler()
    {
        if (INSTALLED.compareAndSet(false, true))
        {
            Signal.handle(new Signal(SIGNAL_NAME), signal -> { });
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
}
