package io.percore.http;

import io.percore.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One HTTP request as the server received it: the request line, the header fields (viewed in place in the
 * received bytes), the path parameters the {@link Router} matched, and the body as a {@link BodyReader}. The head
 * is released once the response is written; a handler reads what it needs before then. Owning shard thread only.
 */
public final class Request {
    String method;
    String target;
    String rawPath;
    String path;
    String query;
    int versionMinor;
    final ParsedHeaders headers = new ParsedHeaders();
    long contentLength;
    boolean chunked;
    boolean keepAlive;
    boolean expectContinue;
    boolean upgrade;
    SocketAddress remoteAddress;
    BodyReader body = BodyReader.NONE;
    private String[] paramNames;
    private String[] paramValues;
    private int paramCount;
    private Map<String, List<String>> queryParams;

    Request() {}

    /** @return the method as sent ("GET", "POST"...; methods are case-sensitive). */
    public String method() {
        return method;
    }

    /** @return the request-target exactly as sent ("/a%20b?x=1"). */
    public String target() {
        return target;
    }

    /** @return the path, percent-decoded as UTF-8 ("/a b"); "*" for {@code OPTIONS *}. */
    public String path() {
        return path;
    }

    /** @return the path as sent, still percent-encoded. */
    public String rawPath() {
        return rawPath;
    }

    /** @return the query string as sent (without '?'), or null when the target has none. */
    public String query() {
        return query;
    }

    /** @return the first value of query parameter {@code name}, form-decoded; null when absent. */
    public String queryParam(String name) {
        List<String> values = queryParams().get(name);
        return values == null ? null : values.get(0);
    }

    /** @return every query parameter with its values, form-decoded, in order of first appearance. */
    public Map<String, List<String>> queryParams() {
        if (queryParams == null) {
            queryParams = new LinkedHashMap<>();
            if (query != null && !query.isEmpty()) {
                for (String pair : query.split("&")) {
                    if (pair.isEmpty()) {
                        continue;
                    }
                    int eq = pair.indexOf('=');
                    String k = formDecode(eq < 0 ? pair : pair.substring(0, eq));
                    String v = eq < 0 ? "" : formDecode(pair.substring(eq + 1));
                    queryParams.computeIfAbsent(k, x -> new ArrayList<>(1)).add(v);
                }
            }
        }
        return queryParams;
    }

    /** @return "HTTP/1.1" or "HTTP/1.0". */
    public String version() {
        return versionMinor == 0 ? "HTTP/1.0" : "HTTP/1.1";
    }

    /** @return 0 for HTTP/1.0, 1 for HTTP/1.1. */
    public int versionMinor() {
        return versionMinor;
    }

    /** @return the header fields; valid until the response is written. */
    public Headers headers() {
        return headers;
    }

    /** @return the first value of header {@code name} (case ignored), or null. */
    public String header(String name) {
        return headers.get(name);
    }

    /** @return the value the router matched for {@code {name}} (or "*" for a trailing wildcard), or null. */
    public String pathParam(String name) {
        for (int i = 0; i < paramCount; i++) {
            if (paramNames[i].equals(name)) {
                return paramValues[i];
            }
        }
        return null;
    }

    /** @return the declared body length; -1 for a chunked body; 0 when there is none. */
    public long contentLength() {
        return chunked ? -1 : contentLength;
    }

    /** @return true when the connection stays open after this exchange (unless the response says close). */
    public boolean isKeepAlive() {
        return keepAlive;
    }

    /** @return true for a request asking to switch protocols (Connection: upgrade with an Upgrade field). */
    public boolean isUpgrade() {
        return upgrade;
    }

    /** @return the client's address. */
    public SocketAddress remoteAddress() {
        return remoteAddress;
    }

    /** @return the body; a request without one reads as empty at once. */
    public BodyReader body() {
        return body;
    }

    void setPathParam(String name, String value) {
        if (paramNames == null) {
            paramNames = new String[4];
            paramValues = new String[4];
        } else if (paramCount == paramNames.length) {
            paramNames = java.util.Arrays.copyOf(paramNames, paramCount * 2);
            paramValues = java.util.Arrays.copyOf(paramValues, paramCount * 2);
        }
        paramNames[paramCount] = name;
        paramValues[paramCount++] = value;
    }

    void dropLastPathParam() {
        paramCount--;
    }

    void clearPathParams() {
        paramCount = 0;
    }

    /** Decodes application/x-www-form-urlencoded text ('+' is a space); malformed escapes stay as they are. */
    static String formDecode(String s) {
        if (s.indexOf('%') < 0 && s.indexOf('+') < 0) {
            return s;
        }
        byte[] out = new byte[s.length()];
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+') {
                out[n++] = ' ';
            } else if (c == '%' && i + 2 < s.length()
                    && HttpChars.hexValue((byte) s.charAt(i + 1)) >= 0 && HttpChars.hexValue((byte) s.charAt(i + 2)) >= 0) {
                out[n++] = (byte) (HttpChars.hexValue((byte) s.charAt(i + 1)) * 16 + HttpChars.hexValue((byte) s.charAt(i + 2)));
                i += 2;
            } else {
                out[n++] = (byte) c;
            }
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return method + " " + target + " " + version();
    }
}
