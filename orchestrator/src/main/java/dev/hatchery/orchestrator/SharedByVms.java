package dev.hatchery.orchestrator;

import java.util.Objects;

import dev.hatchery.kernel.PreparedKernel;
import dev.hatchery.vm.CloneTemplate;

/**
 * What every VM of one request shares, made once before its first VM and held until the request ends: the kernel's
 * template and, when the VMs are clones (spawn=clone), the captured clone template (the kernel is then the one the
 * template VM booted).
 *
 * @param cloneTemplate null unless the request's spec says spawn=clone
 */
record SharedByVms(PreparedKernel kernel, CloneTemplate cloneTemplate)
{
    SharedByVms
    {
        Objects.requireNonNull(kernel, "kernel");
    }
}
