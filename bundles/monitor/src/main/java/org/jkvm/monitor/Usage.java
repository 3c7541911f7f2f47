package org.jkvm.monitor;

/** The {@code -help} text. */
final class Usage {
    private Usage() {
    }

    static final String TEXT = """
            usage: jkvm-engine [options]
              -name NAME | guest=NAME        VM name
              -uuid UUID                     VM UUID
              -m SIZE                        guest RAM: 256M, 1G or a number of MiB (default 128)
              -smp 1                         vCPUs (only 1)
              -cpu MODEL[,+feat][,-feat][,tsc-frequency=HZ]
                                             host, max, qemu64 (default), kvm64; features by CPUID name (nx, svm...);
                                             tsc-frequency: the guest TSC in Hz (default: the backend's)
              -accel kvm|tcg                 the backend: Linux KVM, or jkvm's software CPU; repeat it for a
                                             fallback list (default: kvm when the KVM device opens, else tcg)
              -machine pc[,accel=kvm:tcg]    the one x86 machine; accel= as -accel (QEMU's fallback form)
              -enable-kvm                    -accel kvm
              -kernel FILE                   a Linux bzImage, an ELF with a PVH note, a multiboot kernel, or a jkvm
                                             firmware ELF (default: the bundled jkvm-fw, entered in long mode)
              -initrd FILE[,FILE...]         the kernel's initrd; multiboot: modules, each "FILE ARGS" (QEMU's form)
              -append "..."                  kernel command line; firmware: workload=verify|disk|... mib= rate= ip= ...
              -serial DEV                    file:PATH[,append=on] | unix:PATH,server[,nowait] | stdio | null
                                             (default null; a file is truncated unless append=on)
              -monitor DEV                   HMP: unix:PATH,server[,nowait] | stdio | none
              -qmp unix:PATH,server[,nowait] QMP (JSON) monitor
              -drive file=PATH,format=raw|qcow2,if=virtio|none,id=ID[,cache=none|writeback|writethrough|
                     directsync|unsafe][,readonly=on]
                                             a disk image (qcow2 with its backing chain)
              -device virtio-blk-pci,drive=ID[,addr=SLOT]
                                             the disk's virtio-blk device at PCI slot SLOT
              -snapshot                      write to a temporary overlay, discarded at exit (not migratable)
              -netdev tap,id=N,ifname=IF[,script=no,downscript=no] | bridge,id=N,br=BRIDGE
                                             a tap device (created when missing), or one enslaved to a bridge
              -device virtio-net-pci,netdev=N[,mac=MAC][,addr=SLOT]
                                             the NIC of netdev N
              -global migration.announce-initial|max|step|rounds=N
                                             the "I'm over here" announcement after a migration or restore (ms,
                                             rounds; rounds=0 turns it off)
              -no-reboot                     a guest reset ends the engine instead of rebooting
              -S                             start paused (cont starts the guest)
              -pidfile FILE                  write the process id
              -daemonize                     detach once the monitors are ready
              -incoming URI                  wait for an incoming migration
              -kvm-device PATH               KVM device (default: property jkvm.kvm.device, else environment
                                             JKVM_KVM_DEVICE, else /dev/kvm)
              -abi-fingerprint STRING        the domain's ABI fingerprint; a migration between engines whose
                                             values differ is refused (absent on both sides: no check)
            jkvm-engine -standby [LABEL]     a spare engine: warm up, then read "LOGFILE\0OPTION\0OPTION..." on
                                             standard input and run with those options (see docs/contracts.md)
            accepted for QEMU compatibility: -nographic -nodefaults -no-user-config -display none
            exit status: the guest's debug-exit value; 0 after quit; 1 on any error
            """;
}
