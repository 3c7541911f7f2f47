package org.jkvm.driver.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import org.junit.jupiter.api.Test;

class QmpMessageTest {
    @Test
    void parsesQmpReplies() {
        Map<String, Object> m = QmpConnection.parseMessage("{\"return\": {\"status\": \"running\"}, \"id\": 7}");
        assertEquals(Map.of("status", "running"), m.get("return"));
        assertEquals(7L, m.get("id"));
    }

    @Test
    void malformedInputIsTheEnginesFault() {
        for (String bad : new String[] {"", "{", "{\"a\" 1}", "[1,,2]", "{\"a\": 1} x", "[1]"}) {
            QmpException e = assertThrows(QmpException.class, () -> QmpConnection.parseMessage(bad), bad);
            assertTrue(e.getMessage().startsWith("malformed JSON from the engine: "), e.getMessage());
        }
        assertTrue(assertThrows(QmpException.class, () -> QmpConnection.parseMessage("[1]")).getMessage()
                .contains("expected a JSON object"));
    }
}
