package org.jkvm.monitor;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HMP client (a unix socket connection or the terminal): banner, prompt, one command per line. Lines longer
 * than {@link #MAX_LINE} characters are refused. {@code quit} answers, then ends the VM.
 */
final class HmpSession implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(HmpSession.class);
    static final int MAX_LINE = 4096;

    private final Hmp hmp;
    private final String version;
    private final InputStream in;
    private final OutputStream out;
    private final Runnable onQuit;

    HmpSession(Hmp hmp, String version, InputStream in, OutputStream out, Runnable onQuit) {
        this.hmp = hmp;
        this.version = version;
        this.in = in;
        this.out = out;
        this.onQuit = onQuit;
    }

    @Override
    public void run() {
        try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            write(String.format(Hmp.BANNER, version) + "\n" + Hmp.PROMPT);
            StringBuilder line = new StringBuilder();
            boolean tooLong = false;
            int c;
            while ((c = r.read()) >= 0) {
                if (c != '\n') {
                    if (line.length() < MAX_LINE) {
                        line.append((char) c);
                    } else {
                        tooLong = true; // drop the rest: a hostile client cannot grow the buffer
                    }
                    continue;
                }
                String command = line.toString().replace("\r", "");
                line.setLength(0);
                if (tooLong) {
                    tooLong = false;
                    write("Error: the command is longer than " + MAX_LINE + " characters\n" + Hmp.PROMPT);
                    continue;
                }
                if (Hmp.isQuit(command)) {
                    write("");
                    onQuit.run();
                    return;
                }
                String answer = hmp.execute(command);
                write((answer.isEmpty() ? "" : answer + "\n") + Hmp.PROMPT);
            }
        } catch (IOException e) {
            LOG.debug("HMP client left: {}", e.getMessage());
        }
    }

    private void write(String s) throws IOException {
        out.write(s.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
