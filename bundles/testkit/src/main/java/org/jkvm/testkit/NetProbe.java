package org.jkvm.testkit;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The client side of the firmware's network tests, run inside a network namespace by {@link TapLab#probe}: pings a
 * guest, then sends it a numbered UDP stream on the echo port (7) and checks each echo, then, optionally, one datagram
 * that skips numbers (the firmware counts it in {@code net_seq_gaps} and {@code net_seq_lost}).
 *
 * <p>Payloads are {@code "<n> jkvm-probe"}: the firmware reads the leading decimal digits as the sequence number
 * (src/firmware/README.md, "Network"). Pings use {@link InetAddress#isReachable}, which sends ICMP echo requests when
 * the process may open a raw socket (root) and which the firmware cannot answer otherwise (it has no TCP). Prints one
 * line: {@code probe ping_ok=N ping_sent=N udp_ok=N udp_sent=N udp_rtt_us_median=N tcp_ok=N tcp_sent=N} (with a
 * fifth argument, that many TCP connections to port 7 each echo one line: a Linux guest's echo server). Timeouts
 * here detect lost packets; they are not speed assertions.
 */
public final class NetProbe {
    private static final int TIMEOUT_MS = 2000;
    private static final int ECHO_PORT = 7;

    private NetProbe() {
    }

    /**
     * Runs the probe.
     *
     * @param args guest address, pings, numbered datagrams, numbers to skip before one last datagram (0 = none)[,
     *             TCP echo connections to port 7]
     */
    public static void main(String[] args) throws IOException {
        InetAddress guest = InetAddress.getByName(args[0]);
        int pings = Integer.parseInt(args[1]);
        int datagrams = Integer.parseInt(args[2]);
        int skip = Integer.parseInt(args[3]);
        int pingOk = 0;
        for (int i = 0; i < pings; i++) {
            pingOk += guest.isReachable(TIMEOUT_MS) ? 1 : 0;
        }
        List<Long> rtts = new ArrayList<>();
        int udpOk = 0;
        int sent = 0;
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(TIMEOUT_MS);
            for (long n = 0; n < datagrams; n++, sent++) {
                udpOk += echo(s, guest, n, rtts) ? 1 : 0;
            }
            if (skip > 0) {
                udpOk += echo(s, guest, datagrams + (long) skip, rtts) ? 1 : 0;
                sent++;
            }
        }
        int tcp = args.length > 4 ? Integer.parseInt(args[4]) : 0;
        int tcpOk = 0;
        for (int i = 0; i < tcp; i++) {
            tcpOk += tcpEcho(guest, i) ? 1 : 0;
        }
        Collections.sort(rtts);
        long median = rtts.isEmpty() ? -1 : rtts.get(rtts.size() / 2);
        System.out.println("probe ping_ok=" + pingOk + " ping_sent=" + pings + " udp_ok=" + udpOk + " udp_sent=" + sent
                + " udp_rtt_us_median=" + median + " tcp_ok=" + tcpOk + " tcp_sent=" + tcp);
    }

    /** One TCP connection to the echo port: a line sent, the same line read back. */
    private static boolean tcpEcho(InetAddress guest, int n) {
        String line = n + " jkvm-tcp-probe\n";
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new InetSocketAddress(guest, ECHO_PORT), TIMEOUT_MS);
            s.setSoTimeout(TIMEOUT_MS);
            s.getOutputStream().write(line.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            byte[] in = s.getInputStream().readNBytes(line.length());
            return line.equals(new String(in, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            return false;
        }
    }

    /** Sends datagram number n and waits for its echo; stale echoes of earlier numbers are skipped. */
    private static boolean echo(DatagramSocket s, InetAddress guest, long n, List<Long> rtts) throws IOException {
        byte[] out = (n + " jkvm-probe").getBytes(StandardCharsets.US_ASCII);
        long t0 = System.nanoTime();
        s.send(new DatagramPacket(out, out.length, new InetSocketAddress(guest, ECHO_PORT)));
        byte[] in = new byte[2048];
        while (true) {
            DatagramPacket p = new DatagramPacket(in, in.length);
            try {
                s.receive(p);
            } catch (SocketTimeoutException e) {
                return false;
            }
            if (Arrays.equals(out, 0, out.length, in, 0, p.getLength())) {
                rtts.add((System.nanoTime() - t0) / 1000);
                return true;
            }
        }
    }
}
