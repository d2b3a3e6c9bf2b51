/**
 * Emulated devices and the buses that route guest port I/O and MMIO exits to them: the legacy PC
 * devices a Linux guest probes (serial 8250, i8042), the seed's boot-complete signal and the boot milestones
 * guests report on the debug port. Nothing here
 * touches native code; interrupts leave through {@link dev.hatchery.devices.InterruptTrigger}.
 */
package dev.hatchery.devices;
