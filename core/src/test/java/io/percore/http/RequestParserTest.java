package io.percore.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The request parser on every case, each delivered whole, one byte per read, cut in two at every position, and
 * cut at random places: all deliveries must give the same requests (or the same refusal).
 */
class RequestParserTest extends ShardTestBase {
    private static final HttpLimits LIMITS = new HttpLimits(64, 512, 12, 1000);

    /** Parses {@code input} every way and checks the ways agree. @return the outcome */
    static ParseDriver.Outcome parseAllWays(String input, HttpLimits limits) throws Exception {
        ParseDriver.Outcome[] result = new ParseDriver.Outcome[1];
        onShard(() -> {
            ParseDriver.Outcome whole = ParseDriver.whole(input, limits);
            assertEquals(whole.toString(), ParseDriver.byteByByte(input, limits).toString(), "byte by byte: " + input);
            byte[] b = input.getBytes(StandardCharsets.ISO_8859_1);
            for (int cut = 1; cut < b.length; cut++) {
                assertEquals(whole.toString(), ParseDriver.parse(b, new int[] {cut}, limits).toString(),
                        "cut at " + cut + ": " + input);
            }
            SplittableRandom random = new SplittableRandom(input.hashCode());
            for (int round = 0; round < 20 && b.length > 3; round++) {
                int[] cuts = random.ints(3, 1, b.length).sorted().distinct().toArray();
                assertEquals(whole.toString(), ParseDriver.parse(b, cuts, limits).toString(),
                        "cuts " + java.util.Arrays.toString(cuts) + ": " + input);
            }
            result[0] = whole;
        });
        return result[0];
    }

    static ParseDriver.Outcome parseAllWays(String input) throws Exception {
        return parseAllWays(input, LIMITS);
    }

    private static void assertOne(String input, String expected) throws Exception {
        ParseDriver.Outcome o = parseAllWays(input);
        assertEquals(0, o.refusal(), o.toString());
        assertFalse(o.incomplete(), o.toString());
        assertEquals(List.of(expected), o.requests());
    }

    @Test
    void simpleGet() throws Exception {
        assertOne("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", """
                GET / HTTP/1.1
                path: /
                keep-alive: true
                length: 0
                Host: [example.com]
                """);
    }

    @Test
    void bareLineFeedsAndValueWhitespace() throws Exception {
        assertOne("GET /x HTTP/1.1\nhOsT:a\nX-Spaced: \t  lots  of  space \t \n\n", """
                GET /x HTTP/1.1
                path: /x
                keep-alive: true
                length: 0
                hOsT: [a]
                X-Spaced: [lots  of  space]
                """);
    }

    @Test
    void headerLookupIgnoresCase() throws Exception {
        onShard(() -> {
            io.percore.memory.Buffer in = io.percore.memory.Buffer.copyOf(
                    "GET / HTTP/1.1\r\nHost: h\r\nX-Thing: one\r\nx-thing: two\r\nConnection: Keep-Alive, Upgrade\r\n\r\n");
            RequestParser p = new RequestParser(LIMITS);
            Request r = p.parse(in);
            assertEquals("h", r.header("HOST"));
            assertEquals("one", r.header("x-THING"));
            assertEquals(List.of("one", "two"), r.headers().getAll("X-Thing"));
            assertTrue(r.headers().containsToken("connection", "upgrade"));
            assertFalse(r.headers().contains("X-Thin"));
            p.lastHead().release();
            in.release();
        });
    }

    @Test
    void queryAndPercentDecodedPath() throws Exception {
        ParseDriver.Outcome o = parseAllWays("GET /a%20b/%C3%A9?q=a+b&x=%20&q=2 HTTP/1.1\r\nHost: h\r\n\r\n");
        assertTrue(o.requests().get(0).contains("path: /a b/é\nquery: q=a+b&x=%20&q=2\n"), o.toString());
        onShard(() -> {
            io.percore.memory.Buffer in = io.percore.memory.Buffer.copyOf("GET /s?q=a+b&x=%20&q=2&flag HTTP/1.1\r\nHost: h\r\n\r\n");
            RequestParser p = new RequestParser(LIMITS);
            Request r = p.parse(in);
            assertEquals("a b", r.queryParam("q"));
            assertEquals(List.of("a b", "2"), r.queryParams().get("q"));
            assertEquals(" ", r.queryParam("x"));
            assertEquals("", r.queryParam("flag"));
            p.lastHead().release();
            in.release();
        });
    }

    @Test
    void contentLengthBody() throws Exception {
        assertOne("POST /submit HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world", """
                POST /submit HTTP/1.1
                path: /submit
                keep-alive: true
                length: 11
                Host: [h]
                Content-Length: [11]
                body: hello world""");
    }

    @Test
    void chunkedBodyWithExtensionsAndTrailers() throws Exception {
        assertOne("POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;name=\"v\"\r\nhello\r\n6 ; x\r\n world\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t1\r\nX-Other:  t2 \r\n\r\n", """
                POST /c HTTP/1.1
                path: /c
                keep-alive: true
                length: -1
                Host: [h]
                Transfer-Encoding: [chunked]
                body: hello world0123456789
                trailers: X-Trailer: t1
                X-Other: t2""");
    }

    @Test
    void chunkedWithBareLineFeeds() throws Exception {
        ParseDriver.Outcome o = parseAllWays("POST /c HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n");
        assertEquals(0, o.refusal());
        assertTrue(o.requests().get(0).endsWith("body: abc"), o.toString());
    }

    @Test
    void http10ClosesUnlessKeepAlive() throws Exception {
        ParseDriver.Outcome o = parseAllWays("GET / HTTP/1.0\r\n\r\nGET /k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assertEquals(2, o.requests().size());
        assertTrue(o.requests().get(0).contains("HTTP/1.0\npath: /\nkeep-alive: false"), o.toString());
        assertTrue(o.requests().get(1).contains("keep-alive: true"), o.toString());
    }

    @Test
    void connectionCloseAndHigherMinorVersion() throws Exception {
        ParseDriver.Outcome o = parseAllWays("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET / HTTP/1.9\r\nHost: h\r\n\r\n");
        assertTrue(o.requests().get(0).contains("keep-alive: false"), o.toString());
        assertTrue(o.requests().get(1).startsWith("GET / HTTP/1.1"), o.toString());
    }

    @Test
    void pipelinedRequestsComeOutInOrder() throws Exception {
        ParseDriver.Outcome o = parseAllWays("GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
                + "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
                + "POST /3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n"
                + "\r\nHEAD /4 HTTP/1.1\r\nHost: h\r\n\r\n");
        assertEquals(0, o.refusal());
        assertEquals(4, o.requests().size(), o.toString());
        assertTrue(o.requests().get(0).startsWith("GET /1 "));
        assertTrue(o.requests().get(1).startsWith("POST /2 ") && o.requests().get(1).endsWith("body: abc"));
        assertTrue(o.requests().get(2).startsWith("POST /3 ") && o.requests().get(2).endsWith("body: de"));
        assertTrue(o.requests().get(3).startsWith("HEAD /4 "));
    }

    @Test
    void expectContinueOnlyWithABody() throws Exception {
        ParseDriver.Outcome o = parseAllWays("PUT /u HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nok"
                + "GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n");
        assertTrue(o.requests().get(0).contains("expect: 100-continue"), o.toString());
        assertFalse(o.requests().get(1).contains("expect"), o.toString());
    }

    @Test
    void leadingEmptyLinesAbsoluteFormAndAsterisk() throws Exception {
        ParseDriver.Outcome o = parseAllWays("\r\n\r\nGET http://example.com:8080/p/q?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n"
                + "GET http://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n"
                + "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
        assertEquals(3, o.requests().size(), o.toString());
        assertTrue(o.requests().get(0).contains("path: /p/q\nquery: x=1"), o.toString());
        assertTrue(o.requests().get(1).contains("path: /\n"), o.toString());
        assertTrue(o.requests().get(2).contains("path: *\n"), o.toString());
    }

    @Test
    void upgradeRequest() throws Exception {
        ParseDriver.Outcome o = parseAllWays("GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\r\n");
        assertTrue(o.requests().get(0).contains("\nupgrade\n"), o.toString());
    }

    static List<Arguments> refusals() {
        String h = "Host: h\r\n";
        return List.of(
                Arguments.of("GET  / HTTP/1.1\r\n" + h + "\r\n", 400),
                Arguments.of("GET / HTTP/1.1 \r\n" + h + "\r\n", 400),
                Arguments.of("GET / http/1.1\r\n" + h + "\r\n", 400),
                Arguments.of("GET / HTTP/1\r\n" + h + "\r\n", 400),
                Arguments.of("GET / HTTP/1.1\r" + h + "\r\n", 400),
                Arguments.of("G(T / HTTP/1.1\r\n" + h + "\r\n", 400),
                Arguments.of("GET /a\u0001b HTTP/1.1\r\n" + h + "\r\n", 400),
                Arguments.of("GET relative HTTP/1.1\r\n" + h + "\r\n", 400),
                Arguments.of("GET * HTTP/1.1\r\n" + h + "\r\n", 400),
                Arguments.of("GET /%zz HTTP/1.1\r\n" + h + "\r\n", 400),
                Arguments.of("GET /%C3 HTTP/1.1\r\n" + h + "\r\n", 400),
                Arguments.of("GET / HTTP/1.1\r\nHost h\r\n\r\n", 400),
                Arguments.of("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400),
                Arguments.of("GET / HTTP/1.1\r\n" + h + "X: a\r\n folded\r\n\r\n", 400),
                Arguments.of("GET / HTTP/1.1\r\n" + h + "X: a\u0000b\r\n\r\n", 400),
                Arguments.of("GET / HTTP/1.1\r\n" + h + "X: a\rb\r\n\r\n", 400),
                Arguments.of("GET / HTTP/1.1\r\n\r\n", 400),
                Arguments.of("GET / HTTP/1.1\r\n" + h + h + "\r\n", 400),
                Arguments.of("POST / HTTP/1.1\r\n" + h + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
                Arguments.of("POST / HTTP/1.1\r\n" + h + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
                Arguments.of("POST / HTTP/1.1\r\n" + h + "Content-Length: 3, 4\r\n\r\nabcd", 400),
                Arguments.of("POST / HTTP/1.1\r\n" + h + "Content-Length: -1\r\n\r\n", 400),
                Arguments.of("POST / HTTP/1.1\r\n" + h + "Content-Length: 0x10\r\n\r\n", 400),
                Arguments.of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
                Arguments.of("POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
                Arguments.of("POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", 400),
                Arguments.of("POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n2\rx", 400),
                Arguments.of("POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n", 400),
                Arguments.of("GET /" + "a".repeat(80) + " HTTP/1.1\r\n" + h + "\r\n", 414),
                Arguments.of("GET / HTTP/1.1\r\n" + h + "X: " + "v".repeat(600) + "\r\n\r\n", 431),
                Arguments.of("GET / HTTP/1.1\r\n" + h + "X: v\r\n".repeat(12) + "\r\n", 431),
                Arguments.of("POST / HTTP/1.1\r\n" + h + "Content-Length: 1001\r\n\r\n", 413),
                Arguments.of("POST / HTTP/1.1\r\n" + h + "Content-Length: 99999999999999999999999\r\n\r\n", 413),
                Arguments.of("POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n3e9\r\n", 413),
                Arguments.of("POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n1f4\r\n" + "x".repeat(500)
                        + "\r\n1f5\r\n", 413),
                Arguments.of("BREW /pot HTTP/1.1\r\n" + h + "\r\n", 501),
                Arguments.of("CONNECT h:443 HTTP/1.1\r\n" + h + "\r\n", 400),
                Arguments.of("POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501),
                Arguments.of("GET / HTTP/2.0\r\n" + h + "\r\n", 505),
                Arguments.of("GET / HTTP/0.9\r\n" + h + "\r\n", 505),
                Arguments.of("PUT / HTTP/1.1\r\n" + h + "Expect: 200-ok\r\n\r\n", 417));
    }

    @ParameterizedTest
    @MethodSource("refusals")
    void refusedWithItsStatus(String input, int status) throws Exception {
        ParseDriver.Outcome o = parseAllWays(input);
        assertEquals(status, o.refusal(), o.toString());
    }

    @Test
    void aRefusalEndsParsingButEarlierRequestsStand() throws Exception {
        ParseDriver.Outcome o = parseAllWays("GET /ok HTTP/1.1\r\nHost: h\r\n\r\nGET /bad HTTP/1.1\r\nHost h\r\n\r\nGET /never HTTP/1.1\r\nHost: h\r\n\r\n");
        assertEquals(1, o.requests().size());
        assertEquals(400, o.refusal());
    }

    @Test
    void headerLimitAppliesAsBytesArrive() throws Exception {
        // No end of head ever comes: the refusal must not wait for it.
        onShard(() -> {
            ParseDriver.Outcome o = ParseDriver.byteByByte("GET / HTTP/1.1\r\nX: " + "v".repeat(1000), LIMITS);
            assertEquals(431, o.refusal());
            ParseDriver.Outcome o2 = ParseDriver.byteByByte("GET /" + "a".repeat(1000), LIMITS);
            assertEquals(414, o2.refusal());
        });
    }

    @Test
    void incompleteInputWaitsForMore() throws Exception {
        ParseDriver.Outcome o = parseAllWays("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc");
        assertTrue(o.incomplete());
        assertEquals(0, o.refusal());
        ParseDriver.Outcome o2 = parseAllWays("GET / HTTP/1.1\r\nHost: h\r\n");
        assertTrue(o2.incomplete());
    }
}
