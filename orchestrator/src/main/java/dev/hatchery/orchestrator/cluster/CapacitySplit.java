package dev.hatchery.orchestrator.cluster;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Splits a batch across nodes in proportion to what each can take now: node i gets {@code count * free_i / sum(free)}
 * VMs, rounded down, and the VMs left over by rounding go one each to the nodes with the largest remainders (ties to
 * the node with more room, then by name), so the parts always add up to {@code count}. A node with no room gets nothing;
 * when no node has room the whole batch goes by room 1 each, so it still runs, queued by each node's own admission.
 */
public final class CapacitySplit
{
    private CapacitySplit()
    {
    }

    /** One node's share: {@code vms} of the batch, at most {@code concurrency} of them at once. */
    public record Part(String node, int vms, int concurrency)
    {
    }

    /**
     * @param count       VMs of the batch, at least 1
     * @param concurrency most VMs in flight at once across the cluster; each part gets its proportional share (at least 1)
     * @param room        per node (in a stable order), the VMs of this spec it could start now; never negative
     * @return the parts with at least one VM, in {@code room}'s order
     */
    public static List<Part> split(final int count, final int concurrency, final Map<String, Integer> room)
    {
        if (count < 1 || concurrency < 1)
        {
            throw new IllegalArgumentException("count and concurrency must be at least 1: count=" + count + " concurrency=" + concurrency);
        }
        if (room.isEmpty())
        {
            throw new IllegalArgumentException("no node to split a batch across");
        }
        final Map<String, Long> weights = new LinkedHashMap<>();
        room.forEach((node, vms) ->
        {
            if (vms < 0)
            {
                throw new IllegalArgumentException("negative room for node " + node + ": " + vms);
            }
            weights.put(node, (long)vms);
        });
        long total = weights.values().stream().mapToLong(Long::longValue).sum();
        if (total == 0)
        {
            weights.replaceAll((node, vms) -> 1L);
            total = weights.size();
        }
        final Map<String, Integer> shares = new LinkedHashMap<>();
        final List<String> byRemainder = new ArrayList<>(weights.keySet());
        final Map<String, Long> remainders = new LinkedHashMap<>();
        int given = 0;
        for (final Map.Entry<String, Long> node : weights.entrySet())
        {
            final long scaled = count * node.getValue();
            shares.put(node.getKey(), (int)(scaled / total));
            remainders.put(node.getKey(), scaled % total);
            given += (int)(scaled / total);
        }
        byRemainder.sort(Comparator.<String>comparingLong(remainders::get).reversed().thenComparing(Comparator.<String>comparingLong(weights::get)
            .reversed()).thenComparing(Comparator.naturalOrder()));
        for (int i = 0; given < count; i++, given++)
        {
            shares.merge(byRemainder.get(i % byRemainder.size()), 1, Integer::sum);
        }
        final List<Part> parts = new ArrayList<>();
        shares.forEach((node, vms) ->
        {
            if (vms > 0)
            {
                final int share = (int)Math.max(1, Math.min(vms, Math.round((double)concurrency * vms / count)));
                parts.add(new Part(node, vms, share));
            }
        });
        return parts;
    }
}
