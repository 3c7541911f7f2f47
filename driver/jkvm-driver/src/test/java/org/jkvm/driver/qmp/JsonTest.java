package org.jkvm.driver.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesQmpShapesAndWritesThemBack() {
        Map<String, Object> m = Json.parseObject("{\"return\": {\"status\": \"running\", \"running\": true, "
                + "\"ram\": {\"total\": 268435456, \"mbps\": 812.5}, \"list\": [1, \"a\\n\\u0041\", null]}, \"id\": 7}");
        @SuppressWarnings("unchecked")
        Map<String, Object> r = (Map<String, Object>) m.get("return");
        assertEquals("running", r.get("status"));
        assertEquals(Boolean.TRUE, r.get("running"));
        assertEquals(268435456L, ((Map<?, ?>) r.get("ram")).get("total"));
        assertEquals(812.5, ((Map<?, ?>) r.get("ram")).get("mbps"));
        assertEquals(java.util.Arrays.asList(1L, "a\nA", null), r.get("list"));
        assertEquals(7L, m.get("id"));
        String w = Json.write(Map.of("execute", "migrate", "arguments", Map.of("uri", "exec:cat > 'a\"b'")));
        assertEquals(Map.of("execute", "migrate", "arguments", Map.of("uri", "exec:cat > 'a\"b'")), Json.parse(w));
        assertEquals(List.of(), Json.parse(" [ ] "));
    }

    @Test
    void malformedInputGivesAClearError() {
        for (String bad : new String[] {"", "{", "{\"a\" 1}", "[1,,2]", "tru", "{\"a\": 1} x", "\"\\q\"", "01x"}) {
            QmpException e = assertThrows(QmpException.class, () -> Json.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("malformed JSON from the engine"), e.getMessage());
        }
        assertTrue(assertThrows(QmpException.class, () -> Json.parse("[".repeat(100) + "]".repeat(100)))
                .getMessage().contains("nesting deeper than 64"));
        assertTrue(assertThrows(QmpException.class, () -> Json.parseObject("[1]")).getMessage()
                .contains("expected a JSON object"));
    }
}
