/**
 * The character backends of the guest's serial port ({@code -serial}): a file, a listening unix socket, stdio or
 * nothing. A backend sees bytes and lines only, never the 16550's registers. Not exported.
 */
package org.jkvm.engine.chardev;
