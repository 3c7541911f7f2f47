package org.jkvm.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesAndWritesQmpShapes() {
        Object v = Json.parse(" {\"execute\": \"migrate\", \"arguments\": {\"uri\": \"tcp:1.2.3.4:5\", "
                + "\"detach\": true, \"n\": -12, \"f\": 2.5e0, \"x\": null, \"l\": [1, \"a\\n\\u0041\"]}, \"id\": 7} ");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals("migrate", m.get("execute"));
        Map<?, ?> a = (Map<?, ?>) m.get("arguments");
        assertEquals(true, a.get("detach"));
        assertEquals(-12L, a.get("n"));
        assertEquals(2.5, a.get("f"));
        assertNull(a.get("x"));
        assertEquals(List.of(1L, "a\nA"), a.get("l"));
        assertEquals(7L, m.get("id"));
        assertEquals("{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"tcp:1.2.3.4:5\", \"detach\": true, "
                + "\"n\": -12, \"f\": 2.5, \"x\": null, \"l\": [1, \"a\\nA\"]}, \"id\": 7}", Json.write(v));
        assertEquals(v, Json.parse(Json.write(v)));
    }

    @Test
    void rejectsMalformedInputWithTheOffset() {
        for (String bad : new String[] {"{", "{\"a\" 1}", "[1,]", "tru", "\"abc", "{\"a\":1}x", "01a", "\"\\q\""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
            assertTrue(e.getMessage().startsWith("JSON parse error at offset "), e.getMessage());
        }
        String deep = "[".repeat(100) + "]".repeat(100);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Json.parse(deep)).getMessage()
                .contains("nesting"));
    }

    @Test
    void parseObjectRefusesOtherValues() {
        assertEquals(Map.of("a", 1L), Json.parseObject("{\"a\": 1}"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Json.parseObject("[1]")).getMessage()
                .startsWith("expected a JSON object but got: [1]"));
    }
}
