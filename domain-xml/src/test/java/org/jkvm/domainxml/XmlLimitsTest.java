package org.jkvm.domainxml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile shapes refused at parse time with a sentence, never a {@link StackOverflowError} or a hang: nesting
 * beyond {@link DomainXml#MAX_DEPTH} (libxml2's default, which libvirt parses with), huge attribute counts and
 * very long names. The 5,000-level document is the one that used to kill an RPC worker in JAXB's marshaller.
 */
class XmlLimitsTest {
    @TempDir
    Path dir;

    /** The guest with {@code levels} nested {@code <x>} elements inside {@code <metadata>}. */
    static String nestedInMetadata(int levels) {
        return inMetadata("<x>".repeat(levels) + "</x>".repeat(levels));
    }

    /** The guest with {@code content} added inside its {@code <metadata>}. */
    static String inMetadata(String content) {
        return Fixtures.guestWith("</metadata>", content + "</metadata>");
    }

    @Test
    void nestingAtTheLimitParsesAndFormats() {
        // <domain> and <metadata> are levels 1 and 2: 254 more reach the limit exactly.
        DomainDefinition d = DomainXml.parse(nestedInMetadata(DomainXml.MAX_DEPTH - 2));
        String again = DomainXml.format(d);
        assertEquals(DomainXml.MAX_DEPTH - 2, again.split("<x[ >/]", -1).length - 1, "the nested content is kept");
    }

    @Test
    void oneLevelBeyondTheLimitIsRefusedNamingIt() {
        DomainXmlException e = assertThrows(DomainXmlException.class,
                () -> DomainXml.parse(nestedInMetadata(DomainXml.MAX_DEPTH - 1)));
        assertTrue(e.getMessage().startsWith("domain XML: line "), e.getMessage());
        assertTrue(e.getMessage().contains("nested more than 256 levels deep"), e.getMessage());
        assertTrue(e.getMessage().contains("libxml2"), e.getMessage());
    }

    @Test
    void fiveThousandLevelsAreRefusedAtEveryEntryPoint() throws Exception {
        String deep = nestedInMetadata(5000);
        assertDepthError(() -> DomainXml.parse(deep));
        assertDepthError(() -> DomainXml.parse(new StringReader(deep), "stdin"));
        Path file = dir.resolve("deep.xml");
        Files.writeString(file, deep);
        assertDepthError(() -> DomainXml.parse(file));
    }

    @Test
    void aDeepFileInTheDomainStoreIsReportedAndTheOthersLoad() throws Exception {
        Path store = Files.createDirectories(dir.resolve("store"));
        Files.writeString(store.resolve("guest1.xml"), nestedInMetadata(5000));
        Files.writeString(store.resolve("ok.xml"), Fixtures.guest().replace("<name>guest1</name>", "<name>ok</name>")
                .replaceAll("<uuid>[^<]*</uuid>", ""));
        DomainStore.LoadResult r = new DomainStore(store).loadAll();
        assertEquals(List.of("ok"), r.definitions().stream().map(DomainDefinition::name).toList());
        assertEquals(1, r.broken().size());
        assertTrue(r.broken().get(0).reason().contains("nested more than 256 levels deep"), r.broken().toString());
    }

    @Test
    void millionLevelsOfUnclosedElementsAreRefusedBeforeTheEnd() {
        // No closing tags at all: the parser must stop at the limit, not read (and stack) everything first.
        String deep = Fixtures.guestWith("</metadata>", "<x>".repeat(1_000_000));
        assertDepthError(() -> DomainXml.parse(deep));
    }

    @Test
    void hugeAttributeCountsAreAClearError() {
        StringBuilder many = new StringBuilder("<x");
        for (int i = 0; i < 200_000; i++) {
            many.append(" a").append(i).append("='v'");
        }
        many.append("/>");
        DomainXmlException e = assertThrows(DomainXmlException.class,
                () -> DomainXml.parse(inMetadata(many.toString())));
        assertTrue(e.getMessage().startsWith("domain XML: "), e.getMessage());
        // Below the parser's limit the attributes are kept, losslessly.
        StringBuilder some = new StringBuilder("<x xmlns='urn:t'");
        for (int i = 0; i < 5_000; i++) {
            some.append(" a").append(i).append("='v'");
        }
        some.append("/>");
        String again = DomainXml.format(DomainXml.parse(inMetadata(some.toString())));
        assertTrue(again.contains(" a4999=\"v\""), "the 5,000th attribute is kept");
    }

    @Test
    void veryLongNamesAreAClearError() {
        String name = "n".repeat(1_000_000);
        for (String xml : new String[] {
            inMetadata("<" + name + "/>"),
            inMetadata("<x " + name + "='1'/>"),
            inMetadata("<x xmlns:" + name + "='urn:x'/>"),
        }) {
            DomainXmlException e = assertThrows(DomainXmlException.class, () -> DomainXml.parse(xml));
            assertTrue(e.getMessage().startsWith("domain XML: "), e.getMessage());
            assertTrue(e.getMessage().length() < 1000, "the message does not repeat the name: "
                    + e.getMessage().length() + " characters");
        }
    }

    private static void assertDepthError(org.junit.jupiter.api.function.Executable parse) {
        DomainXmlException e = assertThrows(DomainXmlException.class, parse);
        assertTrue(e.getMessage().contains("nested more than 256 levels deep"), e.getMessage());
    }
}
