package io.percore.apps.iotester;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The workload-file reader: every JSON form it accepts, and errors that point at the line and column. */
class JsonTest {
    @Test
    void readsEveryKindOfValue() {
        Object v = Json.parse(" {\"a\": [1, -2, 3.5, 1e3, true, false, null], \"s\": \"x\\\"y\\\\z\\n\\u00e9\\/\","
                + " \"o\": {}, \"l\": []}\n");
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("a", Arrays.asList(1L, -2L, 3.5, 1000.0, true, false, null));
        expected.put("s", "x\"y\\z\né/");
        expected.put("o", Map.of());
        expected.put("l", List.of());
        assertEquals(expected, v);
        assertEquals(List.of("k", "a"), List.copyOf(((Map<?, ?>) Json.parse("{\"k\":1,\"a\":2}")).keySet()),
                "keys keep file order");
    }

    @Test
    void errorsNameTheLineAndColumn() {
        assertMessage("{\n  \"a\": 1,\n  \"b\" 2\n}", "JSON line 3, column 7: expected ':'");
        assertMessage("[1, 2", "JSON line 1, column 6: unexpected end of input");
        assertMessage("{\"a\": 1} x", "JSON line 1, column 10: unexpected text after the value");
        assertMessage("{\"a\": 1, \"a\": 2}", "duplicate key \"a\"");
        assertMessage("\"open", "unterminated string");
        assertMessage("[tru]", "unexpected word");
        assertMessage("[1.2.3]", "bad number '1.2.3'");
        assertMessage("[\"\\q\"]", "bad escape");
    }

    private static void assertMessage(String json, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(json));
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
