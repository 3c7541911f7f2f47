package org.jkvm.devices.serial;

/**
 * Where the UART sends the bytes the guest transmits (a file, a socket, stdout, nothing).
 *
 * <p>Called on the vCPU thread for every byte, so implementations buffer and must not block for long. Failures
 * are the backend's to log: the UART never sees an exception.
 */
@FunctionalInterface
public interface SerialOutput {
    /** Output that drops every byte ({@code -serial null}). */
    SerialOutput NULL = b -> {
    };

    /** Sends one byte (0-255). */
    void write(int b);
}
