package org.jkvm.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A numbered UDP stream to a guest's echo port, run inside a client's network namespace (a separate JVM): sends
 * datagram n every {@code periodMs} for {@code count} datagrams, collects the echoes meanwhile, and prints one line
 * {@code stream sent=N echoed=N lost=N longest_gap=N echo_ms=N ping_sent=N ping_ok=N send_ms=N} (the longest run of
 * numbers without an echo, in datagrams; the time from the first send to the last echo, and to the last send). With
 * a fourth argument {@code ping}, a second thread pings the guest meanwhile, one ICMP echo every {@code periodMs}
 * ({@link InetAddress#isReachable}: ICMP as root), each waiting up to {@value #PING_TIMEOUT_MS} ms for its reply
 * (so a lost ping delays the next). The period paces the stream; it is not a speed assertion. A line {@code stop} on
 * standard input ends the stream early (after the datagram being sent; both threads), so a caller can keep it
 * running across an event of unknown length; {@code sent} is then what was sent.
 */
public final class UdpStream {
    private static final int PING_TIMEOUT_MS = 200;
    /**
     * The receive buffer asked for (the kernel caps it at {@code net.core.rmem_max}): a guest that answers a burst in
     * batches delivers echoes faster than a starved receiver thread reads them, and the default buffer (about 200
     * small datagrams) then drops echoes the guest did send, a loss of the client rather than of the engine.
     */
    private static final int RECEIVE_BUFFER = 4 << 20;
    private static long lastEchoNs;
    private static long echoMs;
    private static long sendMs;
    private static volatile boolean stopped;
    private static volatile boolean receiving = true;

    private UdpStream() {
    }

    /** @param args guest address, datagram count, period in ms[, "ping"] */
    public static void main(String[] args) throws IOException, InterruptedException {
        InetAddress guest = InetAddress.getByName(args[0]);
        int count = Integer.parseInt(args[1]);
        long periodNs = Long.parseLong(args[2]) * 1_000_000L;
        BitSet echoed = new BitSet(count);
        AtomicInteger pingSent = new AtomicInteger();
        AtomicInteger pingOk = new AtomicInteger();
        long pingUntil = System.nanoTime() + count * periodNs;
        Thread stdin = new Thread(UdpStream::awaitStop, "stop");
        stdin.setDaemon(true);
        stdin.start();
        Thread pinger = new Thread(() -> ping(guest, periodNs, pingUntil, pingSent, pingOk), "ping");
        if (args.length > 3 && args[3].equals("ping")) {
            pinger.start();
        }
        int sent = 0;
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(1);
            s.setReceiveBufferSize(RECEIVE_BUFFER);
            long first = System.nanoTime();
            lastEchoNs = first;
            // Echoes are read on their own thread while the stream is sent: a sender that read only between sends
            // read nothing during a back-to-back burst, and its socket buffer (about 200 echoes) dropped the rest,
            // so the figure measured the client rather than the engine.
            Thread receiver = new Thread(() -> receiveUntilDone(s, echoed), "receive");
            receiver.start();
            long next = first;
            for (int n = 0; n < count && !stopped; n++) {
                sent = n + 1;
                byte[] out = (n + " jkvm-stream").getBytes(StandardCharsets.US_ASCII);
                s.send(new DatagramPacket(out, out.length, guest, 7));
                next += periodNs;
                for (long wait = next - System.nanoTime(); wait > 0; wait = next - System.nanoTime()) {
                    LockSupport.parkNanos(wait); // pacing, not synchronisation
                }
            }
            sendMs = (System.nanoTime() - first) / 1_000_000;
            Thread.sleep(1000); // late echoes: the receiver keeps reading meanwhile
            receiving = false;
            receiver.join();
            synchronized (echoed) {
                echoMs = (lastEchoNs - first) / 1_000_000;
            }
        }
        pinger.join();
        long ms = echoMs;
        int gap = 0;
        int longest = 0;
        for (int n = 0; n < sent; n++) {
            gap = echoed.get(n) ? 0 : gap + 1;
            longest = Math.max(longest, gap);
        }
        System.out.println("stream sent=" + sent + " echoed=" + echoed.cardinality() + " lost="
                + (sent - echoed.cardinality()) + " longest_gap=" + longest + " echo_ms=" + ms + " ping_sent="
                + pingSent.get() + " ping_ok=" + pingOk.get() + " send_ms=" + sendMs);
    }

    private static void ping(InetAddress guest, long periodNs, long untilNs, AtomicInteger sent, AtomicInteger ok) {
        long next = System.nanoTime();
        try {
            while (next < untilNs && !stopped) {
                sent.incrementAndGet();
                if (guest.isReachable(PING_TIMEOUT_MS)) {
                    ok.incrementAndGet();
                }
                next += periodNs;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000)); // pacing, not synchronisation
                } else {
                    next = System.nanoTime(); // after a lost ping: the next one at once, not a burst of them
                }
            }
        } catch (IOException | InterruptedException e) {
            System.err.println("ping stopped: " + e);
        }
    }

    /** Reads standard input until a {@code stop} line (or its end, which only stops the reading). */
    private static void awaitStop() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.strip().equals("stop")) {
                    stopped = true;
                    return;
                }
            }
        } catch (IOException e) {
            System.err.println("stop reader ended: " + e);
        }
    }

    /** Reads echoes until the sender is done; a socket error ends the reading (the counts show it). */
    private static void receiveUntilDone(DatagramSocket s, BitSet echoed) {
        byte[] in = new byte[256];
        try {
            while (receiving) {
                receive(s, in, echoed);
            }
        } catch (IOException e) {
            System.err.println("receive stopped: " + e);
        }
    }

    private static void receive(DatagramSocket s, byte[] in, BitSet echoed) throws IOException {
        DatagramPacket p = new DatagramPacket(in, in.length);
        try {
            s.receive(p);
        } catch (SocketTimeoutException e) {
            return;
        }
        String text = new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII);
        int sp = text.indexOf(' ');
        if (sp > 0 && text.substring(0, sp).matches("\\d{1,9}")) {
            synchronized (echoed) {
                echoed.set(Integer.parseInt(text.substring(0, sp)));
                lastEchoNs = System.nanoTime();
            }
        }
    }
}
