package org.jkvm.migration;

/** A destination engine in its own process, so a test can kill it with SIGKILL: args URI RAM-BYTES. */
public final class DestinationMain {
    private DestinationMain() {
    }

    public static void main(String[] args) throws Exception {
        FakeVm vm = new FakeVm(FakeMemory.of(Long.parseLong(args[1])), "qemu64");
        IncomingMigration in = IncomingMigration.start(vm, args[0], MigrationListener.NONE);
        System.out.println("PORT " + in.port());
        System.out.flush();
        in.await(600_000);
        System.out.println("STATUS " + in.status());
    }
}
