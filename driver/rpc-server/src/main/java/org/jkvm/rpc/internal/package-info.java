/**
 * The RPC server's machinery: framing, client sessions, keepalive, console streams, event callbacks and the
 * procedure tables that decode each call's XDR arguments, call the driver and encode its answer. Not exported.
 */
package org.jkvm.rpc.internal;
