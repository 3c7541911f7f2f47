package org.jkvm.domainxml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * {@code <qemu:commandline>} passes QEMU's {@code -global migration.announce-*=N} to the engine (how a libvirt user
 * turns the migration's announcement off) and refuses every other QEMU option with one sentence.
 */
class QemuCommandlineTest {
    private static DomainDefinition def(String args) {
        String g = Fixtures.guestWith("<memballoon model='none'/>", "<memballoon model='none'/>");
        g = g.replace("</domain>", "<qemu:commandline xmlns:qemu='" + QemuCommandline.NS + "'>" + args
                + "</qemu:commandline></domain>");
        return DomainXml.parse(g).withUuidIfAbsent();
    }

    private static String arg(String value) {
        return "<qemu:arg value='" + value + "'/>";
    }

    @Test
    void announcePropertiesReachTheEngineAsWritten() {
        DomainDefinition d = def(arg("-global") + arg("migration.announce-rounds=0") + arg("-global")
                + arg("migration.announce-step=20"));
        assertTrue(JkvmSupport.check(d).errors().isEmpty(), JkvmSupport.check(d).errors().toString());
        String line = String.join(" ", EngineArgs.of(d, new RuntimePaths(Path.of("/run/x/q.sock"), null,
                Path.of("/run/x/pid"))));
        assertTrue(line.contains(" -global migration.announce-rounds=0 -global migration.announce-step=20 "), line);
        assertTrue(DomainXml.format(d).contains("migration.announce-rounds=0"), "kept in the XML a migration carries");
    }

    @Test
    void otherQemuOptionsAreRefusedWithOneSentence() {
        List<Problem> e = JkvmSupport.check(def(arg("-global") + arg("virtio-net-pci.mq=on"))).errors();
        assertEquals("[qemu:commandline: QEMU argument '-global virtio-net-pci.mq=on' cannot be passed to the jkvm"
                + " engine; it takes only '-global migration.announce-{initial,max,rounds,step}=N' pairs]",
                e.toString());
        assertEquals("[qemu:commandline: QEMU argument '-s' cannot be passed to the jkvm engine; it takes only"
                + " '-global migration.announce-{initial,max,rounds,step}=N' pairs]",
                JkvmSupport.check(def(arg("-s"))).errors().toString());
        assertEquals("[qemu:commandline/qemu:env: only <qemu:arg> is applied by jkvm (for -global"
                + " migration.announce-*=N); remove <qemu:env>]",
                JkvmSupport.check(def("<qemu:env name='A' value='1'/>")).errors().toString());
    }
}
