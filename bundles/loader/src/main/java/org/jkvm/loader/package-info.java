/**
 * Loading the guest: the x86 guest-physical layout ({@link org.jkvm.loader.X86Layout}), the ELF32/ELF64 loader
 * with the jkvm boot header ({@link org.jkvm.loader.ElfLoader}), and the boot structures the engine writes
 * before the first instruction ({@link org.jkvm.loader.BootSetup}: GDT, identity page tables, multiboot
 * information, command line). Everything is written through {@link org.jkvm.memory.GuestMemory}; nothing here
 * knows KVM or devices.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.jkvm.loader;
