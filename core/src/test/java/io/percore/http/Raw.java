package io.percore.http;

import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.memory.Buffer;
import io.percore.net.ConnectedSocket;
import io.percore.net.NetworkStack;
import io.percore.net.SocketAddress;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Predicate;

/** Raw byte exchanges with a server, for tests that check the exact bytes on the wire. Shard thread only. */
public final class Raw {
    private Raw() {}

    /** Sends {@code request}, half-closes, and reads everything until the server closes. */
    public static Future<String> exchange(NetworkStack net, SocketAddress to, String request) {
        return net.connect(to).flatMap(s -> s.output().write(Buffer.copyOf(bytes(request)))
                .then(() -> s.output().close())
                .then(() -> readUntil(s, text -> false))
                .finallyDoAsync(s::close));
    }

    /** Reads until EOF or until {@code done} accepts the text so far. */
    public static Future<String> readUntil(ConnectedSocket s, Predicate<String> done) {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        return Futures.repeat(() -> s.input().read().map(b -> {
            if (b.isEmpty()) {
                return true;
            }
            got.writeBytes(b.toArray());
            b.release();
            return done.test(got.toString(StandardCharsets.ISO_8859_1));
        })).map(v -> got.toString(StandardCharsets.ISO_8859_1));
    }

    public static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** @return how many times {@code part} occurs in {@code text}. */
    public static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
