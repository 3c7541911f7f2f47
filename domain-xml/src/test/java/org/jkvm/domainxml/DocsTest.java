package org.jkvm.domainxml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jkvm.testkit.RepoPaths;
import org.junit.jupiter.api.Test;

/** The device support table in docs/domain-xml.md says what {@link DeviceSupport} does. */
class DocsTest {
    @Test
    void deviceTableMatchesTheCode() throws IOException {
        Path doc = RepoPaths.of("docs", "domain-xml.md");
        Map<String, String> documented = new HashMap<>();
        Pattern names = Pattern.compile("`([a-z-]+)`");
        for (String line : Files.readAllLines(doc)) {
            String[] cols = line.split("\\|");
            if (line.startsWith("| `") && cols.length >= 4) {
                Matcher m = names.matcher(cols[1]);
                while (m.find()) {
                    documented.put(m.group(1), cols[2].strip());
                }
            }
        }
        DeviceSupport.all().forEach((device, rule) -> {
            String word = switch (rule.action()) {
                case MAPPED -> "mapped";
                case IGNORED -> "ignored";
                case WARN -> "warning";
                case REFUSED -> "refused";
            };
            assertEquals(word, documented.get(device), "docs/domain-xml.md row for " + device);
        });
        assertTrue(documented.size() >= DeviceSupport.all().size(), "every device type has a row");
    }
}
