package org.jkvm.domainxml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jkvm.domainxml.model.Disk;
import org.junit.jupiter.api.Test;

/**
 * The corpus disks: every {@code <disk>} of the libvirt corpus is either mapped or refused with one sentence, and
 * where libvirt's own test data shows the address it assigned ({@code qemuxml2argvdata} input without an address,
 * {@code qemuxml2xmloutdata} output with one), {@link PciSlots} picks the same slot for the {@code pc} machine.
 */
class CorpusDiskSlotsTest {
    @Test
    void everyCorpusDiskIsMappedOrRefusedWithASentence() throws IOException {
        int mapped = 0;
        int refused = 0;
        List<String> failures = new ArrayList<>();
        for (Path f : CorpusRoundTripTest.corpus()) {
            DomainDefinition def;
            try {
                def = DomainXml.parse(Files.readString(f));
            } catch (RuntimeException e) {
                continue;
            }
            int n = 0;
            for (Disk d : def.devices(Disk.class)) {
                n++;
                List<Problem> errors = new ArrayList<>();
                DiskMapping.check("devices/disk[" + n + "]", d, errors, new ArrayList<>());
                if (errors.isEmpty()) {
                    mapped++;
                } else {
                    refused++;
                    // Each refusal names the disk and says what to do (the part after the semicolon).
                    String at = "devices/disk[" + n + "]";
                    errors.stream().filter(p -> !p.path().startsWith(at) || !p.message().contains("; "))
                            .forEach(p -> failures.add(Corpus.name(f) + ": " + p));
                }
            }
        }
        System.out.printf("corpus disks: %d mapped, %d refused%n", mapped, refused);
        assertTrue(mapped > 50 && refused > 50, mapped + " mapped, " + refused + " refused");
        assertEquals(List.of(), failures);
    }

    @Test
    void assignedSlotsAreTheOnesLibvirtAssignsOnThePcMachine() throws IOException {
        Path in = Corpus.dir().resolve("qemuxml2argvdata");
        Path out = Corpus.dir().resolve("qemuxml2xmloutdata");
        int compared = 0;
        int beyondOneBus = 0;
        List<String> differ = new ArrayList<>();
        for (Path f : CorpusRoundTripTest.corpus()) {
            Path o = out.resolve(f.getFileName());
            if (!f.getParent().equals(in) || !Files.exists(o)) {
                continue;
            }
            DomainDefinition a;
            DomainDefinition b;
            try {
                a = DomainXml.parse(Files.readString(f));
                b = DomainXml.parse(Files.readString(o));
            } catch (RuntimeException e) {
                continue;
            }
            String machine = a.model().os == null || a.model().os.type == null ? null : a.model().os.type.machine;
            List<Disk> da = a.devices(Disk.class);
            List<Disk> db = b.devices(Disk.class);
            if (machine == null || !(machine.equals("pc") || machine.startsWith("pc-i440fx")) || da.size() != db.size()
                    || da.stream().noneMatch(d -> d.address == null && "virtio".equals(DiskMapping.bus(d)))) {
                continue;
            }
            List<Disk> assigned;
            try {
                assigned = PciSlots.assign(a).devices(Disk.class);
            } catch (DomainXmlException e) {
                // More disks than bus 0 holds: libvirt adds pci-bridges, jkvm has one bus and says so.
                assertTrue(e.getMessage().startsWith("all PCI slots of bus 0 are taken;"), e.getMessage());
                beyondOneBus++;
                continue;
            }
            for (int i = 0; i < da.size(); i++) {
                Disk d = da.get(i);
                if (d.address == null && "virtio".equals(DiskMapping.bus(d)) && db.get(i).address != null) {
                    compared++;
                    String want = AbiView.number(db.get(i).address.slot);
                    String got = AbiView.number(assigned.get(i).address.slot);
                    if (!want.equals(got)) {
                        differ.add(f.getFileName() + " " + DiskMapping.target(d) + ": libvirt " + want + ", jkvm "
                                + got);
                    }
                }
            }
        }
        System.out.printf("corpus virtio disk slots compared with libvirt's output: %d, %d differ; %d files need"
                + " more than bus 0%n", compared, differ.size(), beyondOneBus);
        differ.forEach(s -> System.out.println("  " + s));
        assertTrue(compared > 5, "only " + compared + " disks compared");
        assertEquals(List.of(), differ);
    }
}
