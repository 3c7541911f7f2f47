/**
 * The engine process: {@link org.jkvm.monitor.Main} wires the engine, the migration module and the monitors —
 * HMP text ({@link org.jkvm.monitor.Hmp}) and QMP JSON ({@link org.jkvm.monitor.Qmp}) over unix sockets or the
 * terminal. Not exported: other bundles talk to an engine only through QMP.
 */
package org.jkvm.monitor;
