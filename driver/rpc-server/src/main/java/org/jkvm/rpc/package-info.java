/**
 * The libvirt remote protocol server ({@link org.jkvm.rpc.RpcServer}), its driver lookup
 * ({@link org.jkvm.rpc.DriverRegistry}) and a small client ({@link org.jkvm.rpc.RemoteClient}).
 *
 * <h2>Pipeline</h2>
 * <pre>
 *  socket --read--> FrameDecoder --frame--> ClientSession.onFrame
 *                     (len incl. itself,      |-- KEEPALIVE PING  -> PONG at once (reader thread)
 *                      28..32MiB+4)           |-- not a CALL      -> dropped
 *                                             |-- unknown program -> remote_error (VIR_ERR_RPC)
 *                                             '-- CALL -> worker pool -> session procedures
 *                                                                      | or ProcedureTable -> DriverConnection
 *                                                                      '-> reply (under the write lock)
 * </pre>
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
