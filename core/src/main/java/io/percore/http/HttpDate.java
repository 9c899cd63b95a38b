package io.percore.http;

import io.percore.core.LowresClock;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * The {@code Date} field, formatted once a second per shard instead of once a response: {@link #line()} checks the
 * shard's low-resolution clock (a field read) and formats the wall-clock time again only when a second has passed.
 * Also formats and parses HTTP dates (IMF-fixdate, RFC 9110 §5.6.7) for Last-Modified and If-Modified-Since.
 * An instance belongs to one shard.
 */
final class HttpDate {
    private static final DateTimeFormatter IMF_FIXDATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    private byte[] line;
    private long refreshAtNanos = Long.MIN_VALUE;

    /** @return "Date: ...\r\n" for the current second (shared bytes: do not change). */
    byte[] line() {
        long now = LowresClock.nanos();
        if (now >= refreshAtNanos || line == null) {
            long ms = System.currentTimeMillis();
            line = ("Date: " + format(ms) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            refreshAtNanos = now + (1000 - ms % 1000) * 1_000_000L;
        }
        return line;
    }

    /** @return the IMF-fixdate form of {@code epochMillis} ("Sun, 06 Nov 1994 08:49:37 GMT"). */
    static String format(long epochMillis) {
        return IMF_FIXDATE.format(Instant.ofEpochMilli(epochMillis));
    }

    /** @return the epoch milliseconds of an HTTP date, or -1 when it is not one. */
    static long parse(String text) {
        try {
            return ZonedDateTime.parse(text.strip(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            return -1;
        }
    }
}
