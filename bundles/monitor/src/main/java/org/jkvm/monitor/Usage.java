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
              -cpu MODEL[,+feat][,-feat]     host, max, qemu64 (default), kvm64; features by CPUID name (nx, svm...)
              -kernel FILE                   firmware ELF with a jkvm boot header (default: the bundled jkvm-fw)
              -append "k=v ..."              firmware command line (workload=idle|dirty|verify mib= rate= ...)
              -serial DEV                    file:PATH[,append=on] | unix:PATH,server[,nowait] | stdio | null
                                             (default null; a file is truncated unless append=on)
              -monitor DEV                   HMP: unix:PATH,server[,nowait] | stdio | none
              -qmp unix:PATH,server[,nowait] QMP (JSON) monitor
              -S                             start paused (cont starts the guest)
              -pidfile FILE                  write the process id
              -daemonize                     detach once the monitors are ready
              -incoming URI                  wait for an incoming migration
              -kvm-device PATH               KVM device (default /dev/kvm, or property jkvm.kvm.device)
              -abi-fingerprint STRING        the domain's ABI fingerprint; a migration between engines whose
                                             values differ is refused (absent on both sides: no check)
            jkvm-engine -standby [LABEL]     a spare engine: warm up, then read "LOGFILE\0OPTION\0OPTION..." on
                                             standard input and run with those options (see docs/contracts.md)
            accepted for QEMU compatibility: -enable-kvm -nographic -nodefaults -no-user-config -display none
                                             -accel kvm -machine pc[,accel=kvm]
            exit status: the guest's debug-exit value; 0 after quit; 1 on any error
            """;
}
