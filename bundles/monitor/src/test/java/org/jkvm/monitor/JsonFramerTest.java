package org.jkvm.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class JsonFramerTest {
    @Test
    void framerSplitsObjectsAcrossAndWithinChunks() {
        JsonFramer f = new JsonFramer();
        List<String> out = new ArrayList<>();
        String input = "{\"execute\":\"a}\"}{\"execute\":\n\"b\"}  \r\n{\"x\":[{}]}";
        for (char c : input.toCharArray()) {
            String t = f.feed(c);
            if (t != null) {
                out.add(t);
            }
        }
        assertEquals(List.of("{\"execute\":\"a}\"}", "{\"execute\":\n\"b\"}", "{\"x\":[{}]}"), out);
        out.clear();
        for (char c : "not json at all\n{}".toCharArray()) {
            String t = f.feed(c);
            if (t != null) {
                out.add(t);
            }
        }
        assertEquals(List.of("not json at all", "{}"), out, "garbage is one text per line");
    }
}
