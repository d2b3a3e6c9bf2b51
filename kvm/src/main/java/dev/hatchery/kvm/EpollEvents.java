package dev.hatchery.kvm;

/**
 * An array of struct epoll_event for {@link Epoll#wait}: owned by the one thread that waits. On x86-64 the
 * struct is packed (12 bytes, the u64 data at offset 4), pinned against the header by NativeLayoutTest.
 */
public final class EpollEvents extends NativeStruct
{
    static final int EVENT_SIZE = 12;
    static final int EVENTS_OFFSET = 0;
    static final int DATA_OFFSET = 4;

    private final int capacity;

    public EpollEvents(final int capacity)
    {
        super(checkCapacity(capacity) * EVENT_SIZE);
        this.capacity = capacity;
    }

    public int capacity()
    {
        return capacity;
    }

    /** The EPOLLIN/EPOLLOUT/... bits that are ready for the event at {@code index}. */
    public int events(final int index)
    {
        return buffer.getInt(index * EVENT_SIZE + EVENTS_OFFSET);
    }

    /** The token given to {@link Epoll#add} for the descriptor of the event at {@code index}. */
    public long token(final int index)
    {
        return buffer.getLong(index * EVENT_SIZE + DATA_OFFSET);
    }

    void set(final int index, final int events, final long token)
    {
        buffer.putInt(index * EVENT_SIZE + EVENTS_OFFSET, events);
        buffer.putLong(index * EVENT_SIZE + DATA_OFFSET, token);
    }

    void copy(final int from, final int to)
    {
        buffer.putBytes(to * EVENT_SIZE, buffer, from * EVENT_SIZE, EVENT_SIZE);
    }

    private static int checkCapacity(final int capacity)
    {
        if (capacity < 1)
        {
            throw new IllegalArgumentException("capacity must be positive: capacity=" + capacity);
        }
        return capacity;
    }
}
