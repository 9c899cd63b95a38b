package io.percore.http;

import static io.percore.http.ServerTestSupport.withServer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Static files: contents, types, conditional requests, ranges, and paths that must not escape the directory. */
class StaticFilesTest extends ShardTestBase {
    @TempDir
    static Path dir;
    static byte[] big;

    @org.junit.jupiter.api.BeforeAll
    static void files() throws Exception {
        Files.writeString(dir.resolve("hello.txt"), "hello file\n");
        Files.writeString(dir.resolve("page.html"), "<p>hi</p>");
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("sub/index.html"), "index");
        Files.writeString(dir.resolve(".secret"), "no");
        Files.setLastModifiedTime(dir.resolve("hello.txt"), FileTime.fromMillis(784111777000L));
        big = new byte[(1 << 20) + 12345];
        new Random(7).nextBytes(big);
        Files.write(dir.resolve("big.bin"), big);
        Path outside = Files.createTempFile("percore-outside", ".txt");
        Files.writeString(outside, "outside");
        outside.toFile().deleteOnExit();
        Files.createSymbolicLink(dir.resolve("escape.txt"), outside);
    }

    private static String exchange(String request) throws Exception {
        Router r = new Router().get("/static/*", StaticFiles.handler(dir));
        return async(() -> withServer(r, HttpServerConfig.defaults(), env -> Raw.exchange(env.net(), env.address(), request)));
    }

    private static String get(String path, String... headers) {
        return "GET " + path + " HTTP/1.1\r\nHost: t\r\n" + String.join("", Arrays.stream(headers).map(h -> h + "\r\n").toList())
                + "Connection: close\r\n\r\n";
    }

    @Test
    void servesFilesWithTypeAndLastModified() throws Exception {
        String out = exchange(get("/static/hello.txt"));
        assertTrue(out.startsWith("HTTP/1.1 200 OK\r\n"), out);
        assertTrue(out.contains("Content-Type: text/plain; charset=utf-8\r\n"), out);
        assertTrue(out.contains("Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"), out);
        assertTrue(out.contains("Accept-Ranges: bytes\r\n"), out);
        assertTrue(out.endsWith("Content-Length: 11\r\n") || out.endsWith("\r\n\r\nhello file\n"), out);
        assertTrue(exchange(get("/static/page.html")).contains("Content-Type: text/html; charset=utf-8\r\n"));
        assertTrue(exchange(get("/static/sub/")).endsWith("\r\n\r\nindex"));
    }

    @Test
    void notModifiedSinceAndModifiedAfter() throws Exception {
        String same = exchange(get("/static/hello.txt", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT"));
        assertTrue(same.startsWith("HTTP/1.1 304 Not Modified\r\n"), same);
        assertTrue(same.endsWith("\r\n\r\n") && !same.contains("Content-Length"), same);
        String older = exchange(get("/static/hello.txt", "If-Modified-Since: Sat, 05 Nov 1994 08:49:37 GMT"));
        assertTrue(older.startsWith("HTTP/1.1 200 OK\r\n"), older);
        String junk = exchange(get("/static/hello.txt", "If-Modified-Since: not a date"));
        assertTrue(junk.startsWith("HTTP/1.1 200 OK\r\n"), junk);
    }

    @Test
    void byteRanges() throws Exception {
        String part = exchange(get("/static/hello.txt", "Range: bytes=6-9"));
        assertTrue(part.startsWith("HTTP/1.1 206 Partial Content\r\n"), part);
        assertTrue(part.contains("Content-Range: bytes 6-9/11\r\n") && part.endsWith("\r\n\r\nfile"), part);
        String suffix = exchange(get("/static/hello.txt", "Range: bytes=-5"));
        assertTrue(suffix.contains("Content-Range: bytes 6-10/11\r\n") && suffix.endsWith("\r\n\r\nfile\n"), suffix);
        String open = exchange(get("/static/hello.txt", "Range: bytes=9-"));
        assertTrue(open.endsWith("\r\n\r\ne\n"), open);
        String beyond = exchange(get("/static/hello.txt", "Range: bytes=11-20"));
        assertTrue(beyond.startsWith("HTTP/1.1 416 Range Not Satisfiable\r\n") && beyond.contains("Content-Range: bytes */11\r\n"), beyond);
        String several = exchange(get("/static/hello.txt", "Range: bytes=0-1,3-4"));
        assertTrue(several.startsWith("HTTP/1.1 200 OK\r\n"), several);
        assertNull(StaticFiles.parseRange("items=0-1", 10));
        assertArrayEquals(new long[] {0, 9}, StaticFiles.parseRange("bytes=0-100", 10));
        assertNull(StaticFiles.parseRange("bytes=5-2", 10));
    }

    @Test
    void largeFilesStreamWholeAndInRanges() throws Exception {
        String out = exchange(get("/static/big.bin"));
        byte[] body = out.substring(out.indexOf("\r\n\r\n") + 4).getBytes(StandardCharsets.ISO_8859_1);
        assertTrue(out.contains("Content-Length: " + big.length + "\r\n"), out.substring(0, 300));
        assertArrayEquals(big, body);
        String range = exchange(get("/static/big.bin", "Range: bytes=100000-999999"));
        byte[] part = range.substring(range.indexOf("\r\n\r\n") + 4).getBytes(StandardCharsets.ISO_8859_1);
        assertArrayEquals(Arrays.copyOfRange(big, 100000, 1000000), part);
    }

    @Test
    void headAndMissingAndEscapes() throws Exception {
        String head = exchange("HEAD /static/big.bin HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        assertTrue(head.endsWith("\r\n\r\n") && head.contains("Content-Length: " + big.length), head);
        for (String path : new String[] {"/static/missing.txt", "/static/../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd",
                "/static/.secret", "/static/escape.txt", "/static/sub/..%2F..%2Fx", "/static/sub"}) {
            String out = exchange(get(path));
            assertTrue(out.startsWith("HTTP/1.1 404 Not Found\r\n") || (path.equals("/static/sub") && out.endsWith("index")), path + ": " + out);
        }
        String post = exchange("POST /static/hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        assertTrue(post.startsWith("HTTP/1.1 405"), post);
        assertEquals("application/octet-stream", ContentTypes.forFileName("x.unknown"));
        assertEquals("image/png", ContentTypes.forFileName("A.PNG"));
    }
}
