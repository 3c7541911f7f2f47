/**
 * The libvirt remote protocol server ({@link org.jkvm.rpc.RpcServer}), its driver lookup
 * ({@link org.jkvm.rpc.DriverRegistry}) and a small client ({@link org.jkvm.rpc.RemoteClient}).
 *
 * <h2>Pipeline</h2>
 * <pre>
 *  socket --read--> FrameDecoder --frame--> ClientSession.onFrame
 *                     (len incl. itself,      |-- KEEPALIVE PING  -> PONG at once (reading thread)
 *                      28..32MiB+4)           |-- STREAM          -> ConsoleStreams (keystrokes, finish)
 *                                             |-- other non-CALL  -> dropped
 *                                             |-- unknown program -> remote_error (VIR_ERR_RPC)
 *                                             '-- CALL -> session procedures, or ProcedureTable -> DriverConnection
 *                                                         '-> reply, written under the session's write lock
 *  events (318), console output, server PINGs --> per-client outbox --> a worker writes them in order
 * </pre>
 *
 * <h2>Threads</h2>
 * One shared pool. A client's reading role moves between pool threads (leader/follower): the thread that read a
 * CALL serves it; before a changing call it first hands reading over to another pool thread, so long calls
 * (save, migrate) never stop job polls or keepalive; quick read-only calls are served inline. Other calls that
 * arrived in the same read go to pool threads. At most 32 calls per client run at once. A timer pings clients
 * that negotiated keepalive (feature 10) after 5 s of silence and drops them after 5 unanswered pings.
 *
 * <h2>Connection sequence (virsh 9.0)</h2>
 * <pre>
 *  client                                   server
 *    | AUTH_LIST (66)                  ----> |  [AUTH_NONE]
 *    | SUPPORTS_FEATURE 10 (keepalive) ----> |  1  (answered before open)
 *    | CONNECT_OPEN (1) "jkvm:///system" --> |  DriverRegistry.find(uri).open(uri, readOnly)
 *    | SUPPORTS_FEATURE 14, 15         ----> |  1, 1
 *    | REGISTER_CLOSE_CALLBACK (360)   ----> |  void
 *    | ... calls, concurrently; PING <-> PONG at any time ...
 *    | UNREGISTER_CLOSE_CALLBACK (361) ----> |  void
 *    | CONNECT_CLOSE (2)               ----> |  void; DriverConnection.close()
 * </pre>
 * Unknown procedures get libvirtd's exact answer (code 39, domain 7, "unknown procedure: N"), which the client
 * turns into VIR_ERR_NO_SUPPORT so virsh's fallbacks work. A driver that leaves the registry makes calls fail
 * with VIR_ERR_NO_CONNECT; when one comes back, the session reopens its connection on it.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("0.1.0")
package org.jkvm.rpc;
