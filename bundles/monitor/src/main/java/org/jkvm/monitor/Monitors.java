package org.jkvm.monitor;

import java.util.List;

import org.jkvm.engine.CharDev;
import org.jkvm.engine.EngineControl;
import org.jkvm.engine.VmConfig;
import org.jkvm.monitor.warmup.MigrationWarmUp;

/** Starts the monitors a configuration asks for: QMP on a unix socket, HMP on a unix socket or the terminal. */
final class Monitors {
    private Monitors() {
    }

    /**
     * Starts them; each server is added to {@code opened} so the caller closes it.
     *
     * @param warmUp the process's migration warm-up, which a real migration stops; null for none
     * @return the QMP command table (for the migration wiring to extend)
     */
    static Qmp start(EngineControl engine, VmConfig config, List<AutoCloseable> opened, MigrationWarmUp warmUp) {
        Hmp hmp = new Hmp(engine);
        Qmp qmp = new Qmp(engine, hmp);
        BlockCommands.register(engine, qmp, hmp);
        MigrationCommands migration = new MigrationCommands(engine, warmUp);
        migration.register(qmp, hmp);
        NetCommands.register(engine.net(), qmp, hmp);
        opened.add(migration::closeAll);
        String incoming = config.incoming();
        if (incoming != null && !incoming.equals("defer")) {
            migration.startIncoming(incoming, false);
        }
        Runnable quit = engine::quit;
        if (config.qmp() instanceof CharDev.UnixDev u) {
            opened.add(new UnixServer("-qmp", u.path(), u.waitForClient(),
                    (in, out) -> new QmpSession(qmp, in, out, quit)));
        }
        if (config.monitor() instanceof CharDev.UnixDev u) {
            opened.add(new UnixServer("-monitor", u.path(), u.waitForClient(),
                    (in, out) -> new HmpSession(hmp, engine.version(), in, out, quit)));
        } else if (config.monitor() instanceof CharDev.Stdio) {
            Thread t = new Thread(new HmpSession(hmp, engine.version(), System.in, System.out, quit), "monitor-stdio");
            t.setDaemon(true);
            t.start();
        }
        return qmp;
    }
}
