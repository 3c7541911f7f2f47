/**
 * Everything an engine process does ahead of need so that its first real work is not slowed down by a cold JVM,
 * in one place (issue 12). Three stages, each on threads from an injected {@link java.util.concurrent.ThreadFactory}
 * ({@link org.jkvm.monitor.warmup.WarmUpThreads} in production) and timed with an injected clock:
 *
 * <pre>
 *   process start ──▶ StartupPrewarm: SLF4J, JNA, the backends' bindings (two daemon threads, at once)
 *   spare engine  ──▶ SpareRehearsal: a scratch destination VM with its monitors, played once as a QMP client
 *   engine ready  ──▶ MigrationWarmUp: scratch migrations between throwaway VMs (one thread, nice 19, quiet),
 *                     stopped as soon as a real migration begins or the engine ends
 * </pre>
 *
 * <p>The VM's own preparation ({@code Vm.warmUp()}: the configuration fingerprint, one save and restore) stays in
 * the engine, which alone can reach its parts. Progress lines of the scratch VMs and their migrations go to debug:
 * the background threads run under {@code org.jkvm.vmstate.ProgressLog.quietly}, the one mark the engine and the
 * migration module read (they cannot see this package), set only here. Not exported.
 */
package org.jkvm.monitor.warmup;
