package dev.hatchery.vm;

/**
 * The clone templates a VM host keeps (booted VMs captured for cloning, one per clone spec; not VMs).
 *
 * @param kept     templates made and kept
 * @param held     of those, held by requests in progress (never dropped)
 * @param bytes    bytes their memory files hold
 * @param maxKept  how many are kept when nobody holds them
 * @param dropped  templates dropped to fit that bound, since the host started
 */
public record CloneTemplateStats(int kept, int held, long bytes, int maxKept, long dropped)
{
}
