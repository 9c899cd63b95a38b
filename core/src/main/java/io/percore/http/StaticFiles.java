package io.percore.http;

import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.Offload;
import io.percore.memory.Buffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Serves the files under a directory: GET and HEAD, {@code Content-Type} by extension, {@code Last-Modified} and
 * {@code 304 Not Modified} for {@code If-Modified-Since}, single byte ranges ({@code 206}, {@code 416}),
 * {@code index.html} for a directory. Paths that leave the directory ({@code ..}, symbolic links pointing out)
 * are 404, as are hidden files (a segment starting with '.').
 *
 * <p>File system calls block, so every one (stat, open, read) runs through {@link Offload} and completes back on
 * the shard; a file is read into shard buffers in 64 KiB pieces, each written before the next is read, so a slow
 * client holds at most one piece in memory per request. (When percore's asynchronous file layer is present, reads
 * can move to it without changing this handler's contract.)
 */
public final class StaticFiles {
    /** Files up to this size are read in one piece and sent as one buffer. */
    static final int WHOLE_FILE = 256 << 10;
    static final int PIECE = 64 << 10;

    private StaticFiles() {}

    /**
     * @param root the directory to serve
     * @return a handler that serves the path in the request's {@code "*"} path parameter under {@code root} (route
     * it as {@code "/static/*"})
     */
    public static Handler handler(Path root) {
        return handler(root, "*");
    }

    /** @return a handler that serves the path in path parameter {@code param} under {@code root}. */
    public static Handler handler(Path root, String param) {
        Path base = root.toAbsolutePath().normalize();
        return request -> serve(base, request, request.pathParam(param));
    }

    private record Found(Path path, long size, long modifiedMillis) {}

    private static Future<Response> serve(Path base, Request request, String relative) {
        String method = request.method();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            return Future.ready(Response.text(HttpStatus.METHOD_NOT_ALLOWED, "method not allowed\n").header("Allow", "GET, HEAD"));
        }
        if (relative == null || !safe(relative)) {
            return Future.ready(notFound());
        }
        String ims = request.header("If-Modified-Since");
        String range = request.header("Range");
        boolean ifRange = request.headers().contains("If-Range");
        return Offload.run(() -> find(base, relative)).flatMap(found -> {
            if (found == null) {
                return Future.ready(notFound());
            }
            long modifiedSeconds = found.modifiedMillis() / 1000;
            String lastModified = HttpDate.format(modifiedSeconds * 1000);
            String type = ContentTypes.forFileName(found.path().getFileName().toString());
            if (ims != null) {
                long since = HttpDate.parse(ims);
                if (since >= 0 && modifiedSeconds * 1000 <= since) {
                    return Future.ready(Response.status(HttpStatus.NOT_MODIFIED).header("Last-Modified", lastModified));
                }
            }
            long size = found.size();
            long start = 0;
            long length = size;
            int status = HttpStatus.OK;
            if (range != null && !ifRange) {
                long[] r = parseRange(range, size);
                if (r == UNSATISFIABLE) {
                    return Future.ready(Response.text(HttpStatus.RANGE_NOT_SATISFIABLE, "range not satisfiable\n")
                            .header("Content-Range", "bytes */" + size));
                }
                if (r != null) {
                    start = r[0];
                    length = r[1] - r[0] + 1;
                    status = HttpStatus.PARTIAL_CONTENT;
                }
            }
            boolean head = method.equals("HEAD");
            Future<Response> answer = head || length == 0
                    ? Future.ready(Response.stream(status, type, length, out -> Future.done()))
                    : body(found.path(), status, type, start, length);
            long s = start;
            long l = length;
            int st = status;
            return answer.map(resp -> {
                resp.header("Last-Modified", lastModified).header("Accept-Ranges", "bytes");
                if (st == HttpStatus.PARTIAL_CONTENT) {
                    resp.header("Content-Range", "bytes " + s + "-" + (s + l - 1) + "/" + size);
                }
                return resp;
            });
        });
    }

    private static Response notFound() {
        return Response.text(HttpStatus.NOT_FOUND, "not found\n");
    }

    /** @return false for paths with empty, dot, dot-dot or hidden segments, backslashes or NUL. */
    static boolean safe(String relative) {
        if (relative.indexOf('\0') >= 0 || relative.indexOf('\\') >= 0) {
            return false;
        }
        if (relative.isEmpty()) {
            return true;
        }
        for (String seg : relative.split("/", -1)) {
            if (seg.startsWith(".")) {
                return false;
            }
        }
        return !relative.startsWith("/");
    }

    /** Blocking: resolves and stats the file (index.html for a directory). @return null when not servable */
    private static Found find(Path base, String relative) throws IOException {
        Path p = relative.isEmpty() ? base : base.resolve(relative).normalize();
        if (!p.startsWith(base)) {
            return null;
        }
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
            if (a.isDirectory()) {
                p = p.resolve("index.html");
                a = Files.readAttributes(p, BasicFileAttributes.class);
            }
            if (!a.isRegularFile()) {
                return null;
            }
            // A symbolic link may point out of the directory: serve only what really lies under it.
            if (!p.toRealPath().startsWith(base.toRealPath(LinkOption.NOFOLLOW_LINKS))) {
                return null;
            }
            return new Found(p, a.size(), a.lastModifiedTime().toMillis());
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    private static final long[] UNSATISFIABLE = new long[0];

    /**
     * Parses a Range field for one byte range (RFC 9110 §14.2).
     *
     * @return {first, last} inclusive; {@link #UNSATISFIABLE}; or null to ignore the field (not bytes, several
     * ranges, malformed) and send the whole file
     */
    static long[] parseRange(String value, long size) {
        String v = value.strip();
        if (!v.regionMatches(true, 0, "bytes=", 0, 6)) {
            return null;
        }
        String spec = v.substring(6).strip();
        if (spec.indexOf(',') >= 0) {
            return null;
        }
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return null;
        }
        String a = spec.substring(0, dash).strip();
        String b = spec.substring(dash + 1).strip();
        try {
            if (a.isEmpty()) {
                if (b.isEmpty() || !digits(b)) {
                    return null;
                }
                long suffix = Long.parseLong(b);
                if (suffix == 0 || size == 0) {
                    return UNSATISFIABLE;
                }
                return new long[] {Math.max(0, size - suffix), size - 1};
            }
            if (!digits(a) || (!b.isEmpty() && !digits(b))) {
                return null;
            }
            long first = Long.parseLong(a);
            long last = b.isEmpty() ? size - 1 : Long.parseLong(b);
            if (last < first) {
                return null;
            }
            if (first >= size) {
                return UNSATISFIABLE;
            }
            return new long[] {first, Math.min(last, size - 1)};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static boolean digits(String s) {
        if (s.isEmpty() || s.length() > 18) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** The body: one buffer for a small range, else a stream of pieces read one at a time. */
    private static Future<Response> body(Path path, int status, String type, long start, long length) {
        if (length <= WHOLE_FILE) {
            Buffer buf = Buffer.allocate((int) length);
            ByteBuffer target = buf.segment().asByteBuffer(); // taken on the shard; only the bytes are filled off it
            return Offload.run(() -> {
                try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                    readFully(ch, target, start);
                }
                return buf;
            }).map(b -> Response.buffer(status, type, b)).recoverWith(e -> {
                buf.release();
                return Future.failed(e);
            });
        }
        return Future.ready(Response.stream(status, type, length, out -> Offload.run(() ->
                FileChannel.open(path, StandardOpenOption.READ)).flatMap(ch -> {
                    long[] position = {start};
                    long end = start + length;
                    return Futures.repeat(() -> {
                        if (position[0] >= end) {
                            return Future.ready(Boolean.TRUE);
                        }
                        int n = (int) Math.min(PIECE, end - position[0]);
                        Buffer piece = Buffer.allocate(n);
                        long at = position[0];
                        ByteBuffer target = piece.segment().asByteBuffer();
                        return Offload.run(() -> {
                            readFully(ch, target, at);
                            return piece;
                        }).recoverWith(e -> {
                            piece.release();
                            return Future.failed(e);
                        }).flatMap(p -> {
                            position[0] += n;
                            return out.write(p);
                        }).map(v -> Boolean.FALSE);
                    }).finallyDoAsync(() -> Offload.run(() -> {
                        ch.close();
                        return null;
                    }));
                })));
    }

    /** Blocking: fills {@code dst} from {@code position}; a file that shrank meanwhile is an error. */
    private static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
        long at = position;
        while (dst.hasRemaining()) {
            int n = ch.read(dst, at);
            if (n < 0) {
                throw new IOException("file shorter than its size when it was opened");
            }
            at += n;
        }
    }
}
