package org.jkvm.softcpu.oracle;

/**
 * The x87/SSE part of an oracle case: the state it starts from, as the 512-byte FXSAVE image (64-bit form) that the
 * host loads with FXRSTOR64 and the software CPU receives as the legacy region of its XSAVE area, and what is
 * compared at the end: FCW, FSW (but {@link #fswIgnore}), the abridged tag word, MXCSR, ST0-7 (within {@link #ulps}
 * units in the last place for the transcendental instructions, whose exact results the architecture leaves to the
 * implementation) and XMM0-15. The instruction and operand pointers (FOP, FIP, FDP and their selectors) are not
 * compared: the host's code segment is a user one.
 *
 * @param image     the FXSAVE image (512 bytes; FSW's ES and B consistent with its flags and FCW's masks)
 * @param fswIgnore FSW bits not compared (condition codes an instruction leaves undefined)
 * @param ulps      the largest difference allowed in an ST register, in units in the last place (0: bit-exact)
 */
public record FpuCase(byte[] image, int fswIgnore, int ulps) {
    /** The image's size. */
    public static final int BYTES = 512;

    /** Checks the image size. */
    public FpuCase {
        if (image.length != BYTES) {
            throw new IllegalArgumentException("an FXSAVE image has 512 bytes, not " + image.length);
        }
    }
}
