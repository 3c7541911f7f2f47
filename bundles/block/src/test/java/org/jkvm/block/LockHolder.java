package org.jkvm.block;

import java.nio.file.Path;

/**
 * A second process for {@link LockTest}: opens the image ({@code rw} or {@code ro}), prints {@code open}, and holds it
 * until its standard input closes.
 */
public final class LockHolder {
    private LockHolder() {
    }

    public static void main(String[] args) throws Exception {
        OpenOptions o = OpenOptions.of(ImageFormat.QCOW2).withReadOnly(args[1].equals("ro"));
        try (BlockImage img = BlockImages.open(Path.of(args[0]), o)) {
            System.out.println("open");
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold the image until the parent closes the pipe
            }
        }
    }
}
