package org.jkvm.engine.chardev;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.jkvm.devices.serial.Serial16550;
import org.jkvm.engine.CharDev;
import org.jkvm.engine.EngineException;
import org.jkvm.engine.VmConfigParser;
import org.jkvm.testkit.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The serial socket as a console: typed bytes reach the UART as they come (more than its FIFO holds wait in the
 * socket until the guest reads), a line the guest has begun (a prompt, an echoed key) reaches the client and the
 * log without its end, and {@code logfile=} keeps a log of the output whether or not a client is there.
 */
class SerialInputTest {
    @TempDir
    Path dir;

    private static int rbr(Serial16550 uart) {
        byte[] d = new byte[1];
        uart.read(0, d);
        return d[0] & 0xff;
    }

    private static boolean dataReady(Serial16550 uart) {
        byte[] d = new byte[1];
        uart.read(5, d);
        return (d[0] & 1) != 0;
    }

    @Test
    void inputBeyondTheFifoWaitsForTheGuestAndArrivesInOrder() throws Exception {
        Path sock = dir.resolve("console.sock");
        java.util.concurrent.atomic.AtomicBoolean irq = new java.util.concurrent.atomic.AtomicBoolean();
        Serial16550 uart = new Serial16550(new org.jkvm.devices.IrqLine() {
            @Override
            public void raise() {
                irq.set(true);
            }

            @Override
            public void lower() {
                irq.set(false);
            }
        }, b -> { });
        uart.write(1, new byte[] {1}); // received-data interrupts
        try (SerialBackend backend = SerialBackend.open(new CharDev.UnixDev(sock, true, false));
                SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            java.util.concurrent.locks.ReentrantLock events = new java.util.concurrent.locks.ReentrantLock();
            backend.attach(uart, events);
            client.connect(UnixDomainSocketAddress.of(sock));
            byte[] typed = new byte[3 * Serial16550.RX_CAPACITY + 17];
            for (int i = 0; i < typed.length; i++) {
                typed[i] = (byte) (i * 31 + 7);
            }
            events.lock(); // as a state save does: input must not move the UART's line meanwhile
            try {
                client.write(ByteBuffer.wrap(typed));
                Await.until("the input thread waits for the device events", events::hasQueuedThreads);
                assertTrue(!dataReady(uart) && !irq.get(), "no input reaches the UART during a save");
            } finally {
                events.unlock();
            }
            Await.until("the first input is in the FIFO", () -> dataReady(uart));
            assertTrue(irq.get(), "received data raises the interrupt");
            ByteArrayOutputStream read = new ByteArrayOutputStream();
            Await.until("the guest has read every byte", () -> {
                while (dataReady(uart)) {
                    read.write(rbr(uart));
                }
                return read.size() == typed.length;
            });
            assertArrayEquals(typed, read.toByteArray(), "nothing dropped, nothing reordered");
            assertEquals(0, uart.save().lsr() & 0x02, "no overrun: the backend waited for room");
        }
    }

    @Test
    void aLogFileKeepsTheOutputWithOrWithoutAClient() throws Exception {
        Path sock = dir.resolve("console.sock");
        Path log = dir.resolve("console.log");
        Files.writeString(log, "earlier engine\n");
        CharDev dev = VmConfigParser.parse(List.of("-serial", "unix:" + sock + ",server,nowait,logfile=" + log
                + ",logappend=on")).serial();
        assertEquals(new CharDev.UnixDev(sock, true, false, log, true), dev);
        assertEquals("unix:" + sock + ",server,nowait,logfile=" + log + ",logappend=on", dev.toString());
        try (SerialBackend backend = SerialBackend.open(dev)) {
            backend.attach(new Serial16550(org.jkvm.devices.IrqLine.NONE, b -> { }),
                    new java.util.concurrent.locks.ReentrantLock());
            for (byte b : "no client yet\n".getBytes(StandardCharsets.US_ASCII)) {
                backend.write(b);
            }
        }
        assertEquals("earlier engine\nno client yet\n", Files.readString(log));
        EngineException e = assertThrows(EngineException.class,
                () -> VmConfigParser.parse(List.of("-monitor", "unix:" + sock + ",server,logfile=" + log)));
        assertTrue(e.getMessage().contains("unknown flag 'logfile="), e.getMessage());
    }

    @Test
    void aBegunLineReachesTheClientAndTheLogWithoutItsEnd() throws Exception {
        Path sock = dir.resolve("console.sock");
        Path log = dir.resolve("console.log");
        try (SerialBackend backend = SerialBackend.open(new CharDev.UnixDev(sock, true, false, log, false));
                SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            backend.attach(new Serial16550(org.jkvm.devices.IrqLine.NONE, b -> { }),
                    new java.util.concurrent.locks.ReentrantLock());
            client.connect(UnixDomainSocketAddress.of(sock));
            // The backend takes output once it has accepted the client: a whole line shows that it has.
            Await.until("the client is accepted", () -> {
                for (byte b : "ready\n".getBytes(StandardCharsets.US_ASCII)) {
                    backend.write(b);
                }
                return Files.readString(log).contains("ready\n") && readAvailable(client).contains("ready\n");
            });
            for (byte b : "~ # ".getBytes(StandardCharsets.US_ASCII)) {
                backend.write(b);
            }
            StringBuilder got = new StringBuilder();
            Await.until("the prompt on the socket", () -> got.append(readAvailable(client)).toString()
                    .endsWith("~ # "));
            Await.until("the prompt in the log", () -> Files.readString(log).endsWith("ready\n~ # "));
        }
    }

    private static String readAvailable(SocketChannel ch) throws java.io.IOException {
        ch.configureBlocking(false);
        ByteBuffer b = ByteBuffer.allocate(4096);
        ch.read(b);
        return new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII);
    }
}
