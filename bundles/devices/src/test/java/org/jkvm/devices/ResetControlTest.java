package org.jkvm.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class ResetControlTest {
    final List<String> requests = new ArrayList<>();
    final ResetControl rcr = new ResetControl(new PlatformControl() {
        @Override
        public void requestReset(String source) {
            requests.add("reset " + source);
        }

        @Override
        public void requestPowerOff(String source) {
            requests.add("off " + source);
        }
    });

    private int read() {
        byte[] d = new byte[1];
        rcr.read(0, d);
        return d[0] & 0xff;
    }

    @Test
    void sysRstAloneIsStoredAndRstCpuResets() {
        rcr.write(0, new byte[] {0x02});
        assertEquals(0x02, read());
        assertEquals(List.of(), requests);
        rcr.write(0, new byte[] {0x06}); // Linux's CF9 reboot: SYS_RST, then SYS_RST | RST_CPU
        assertEquals(List.of("reset cf9"), requests);
        assertEquals(0, read(), "RST_CPU self-clears with the reset");
        rcr.write(0, new byte[] {(byte) 0xf1});
        assertEquals(0, read(), "only bits 1-3 exist");
    }
}
