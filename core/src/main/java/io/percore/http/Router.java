package io.percore.http;

import io.percore.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Dispatches requests by method and path to {@link Handler}s. Patterns are paths whose segments are literals,
 * parameters {@code {name}} (one segment), or, last, a wildcard {@code *} or {@code {name*}} taking the rest of the
 * path (possibly empty); the matched values are read with {@link Request#pathParam} ({@code "*"} for a bare
 * wildcard). Segments are percent-decoded one by one, so an encoded slash stays inside its segment. A literal
 * segment wins over a parameter, a parameter over a wildcard. A path with no route is 404; a path whose routes
 * take other methods is 405 with {@code Allow}; HEAD falls back to GET.
 *
 * <pre>{@code
 * Router r = new Router()
 *     .get("/", req -> Future.ready(Response.text("hello\n")))
 *     .get("/users/{id}", req -> Future.ready(Response.text("user " + req.pathParam("id"))))
 *     .get("/static/*", StaticFiles.handler(dir));
 * }</pre>
 *
 * <p>Build it before serving, then use it on one shard (make one per shard); routing allocates nothing
 * beyond the path parameters.
 */
public final class Router implements Handler {
    private final Node root = new Node();
    /** Routes whose pattern has no parameter or wildcard, by their path: found without splitting the request path. */
    private final Map<String, Map<String, Handler>> exact = new HashMap<>();
    private Handler notFound = r -> Future.ready(Response.text(HttpStatus.NOT_FOUND, "not found\n"));

    /** An empty router: every path is 404. */
    public Router() {}

    private static final class Node {
        final Map<String, Node> literals = new HashMap<>(4);
        Node param;
        String paramName;
        String wildcardName;
        Map<String, Handler> wildcardHandlers;
        final Map<String, Handler> handlers = new LinkedHashMap<>(2);
    }

    /** Routes GET {@code pattern} (and HEAD, unless a HEAD route exists). @return this */
    public Router get(String pattern, Handler handler) {
        return route("GET", pattern, handler);
    }

    /** Routes POST {@code pattern}. @return this */
    public Router post(String pattern, Handler handler) {
        return route("POST", pattern, handler);
    }

    /** Routes PUT {@code pattern}. @return this */
    public Router put(String pattern, Handler handler) {
        return route("PUT", pattern, handler);
    }

    /** Routes DELETE {@code pattern}. @return this */
    public Router delete(String pattern, Handler handler) {
        return route("DELETE", pattern, handler);
    }

    /**
     * Routes {@code method} (or "*" for any method) on {@code pattern}.
     *
     * @return this
     * @throws IllegalArgumentException for a malformed pattern or a route that exists already
     */
    public Router route(String method, String pattern, Handler handler) {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(handler, "handler");
        if (pattern == null || !pattern.startsWith("/")) {
            throw new IllegalArgumentException("a route pattern starts with '/': " + pattern);
        }
        String[] segments = pattern.substring(1).split("/", -1);
        Node node = root;
        for (int i = 0; i < segments.length; i++) {
            String s = segments[i];
            boolean last = i == segments.length - 1;
            if (s.equals("*") || (s.startsWith("{") && s.endsWith("*}"))) {
                if (!last) {
                    throw new IllegalArgumentException("a wildcard must be the last segment: " + pattern);
                }
                String name = s.equals("*") ? "*" : s.substring(1, s.length() - 2);
                if (node.wildcardName != null && !node.wildcardName.equals(name)) {
                    throw new IllegalArgumentException("wildcard named both '" + node.wildcardName + "' and '" + name + "'");
                }
                node.wildcardName = name;
                if (node.wildcardHandlers == null) {
                    node.wildcardHandlers = new LinkedHashMap<>(2);
                }
                put(node.wildcardHandlers, method, handler, pattern);
                return this;
            }
            if (s.startsWith("{") && s.endsWith("}")) {
                String name = s.substring(1, s.length() - 1);
                if (name.isEmpty()) {
                    throw new IllegalArgumentException("a parameter needs a name: " + pattern);
                }
                if (node.param == null) {
                    node.param = new Node();
                    node.paramName = name;
                } else if (!node.paramName.equals(name)) {
                    throw new IllegalArgumentException("parameter named both '" + node.paramName + "' and '" + name + "' at the same place");
                }
                node = node.param;
            } else {
                node = node.literals.computeIfAbsent(s, k -> new Node());
            }
        }
        put(node.handlers, method, handler, pattern);
        if (pattern.indexOf('{') < 0) {
            exact.put(pattern, node.handlers);
        }
        return this;
    }

    private static void put(Map<String, Handler> handlers, String method, Handler h, String pattern) {
        if (handlers.putIfAbsent(method, h) != null) {
            throw new IllegalArgumentException("route " + method + " " + pattern + " defined twice");
        }
    }

    /** Answers requests no route matches (default: 404 "not found"). @return this */
    public Router notFound(Handler handler) {
        this.notFound = Objects.requireNonNull(handler);
        return this;
    }

    @Override
    public Future<Response> handle(Request request) {
        String raw = request.rawPath();
        if (raw.equals("*") || raw.isEmpty()) {
            return notFound.handle(request);
        }
        request.clearPathParams();
        Map<String, Handler> handlers = raw.indexOf('%') < 0 ? exact.get(raw) : null;
        if (handlers == null) {
            String[] segments = raw.substring(1).split("/", -1);
            handlers = match(root, segments, 0, request);
        }
        if (handlers == null) {
            request.clearPathParams();
            return notFound.handle(request);
        }
        Handler h = pick(handlers, request.method());
        if (h == null) {
            TreeSet<String> allow = new TreeSet<>(handlers.keySet());
            if (allow.contains("GET")) {
                allow.add("HEAD");
            }
            return Future.ready(Response.text(HttpStatus.METHOD_NOT_ALLOWED, "method not allowed\n")
                    .header("Allow", String.join(", ", allow)));
        }
        return h.handle(request);
    }

    private static Handler pick(Map<String, Handler> handlers, String method) {
        Handler h = handlers.get(method);
        if (h == null && method.equals("HEAD")) {
            h = handlers.get("GET");
        }
        if (h == null) {
            h = handlers.get("*");
        }
        return h;
    }

    /** @return the handlers of the best match, with the request's path parameters set; null for none. */
    private static Map<String, Handler> match(Node node, String[] segments, int i, Request request) {
        if (i == segments.length) {
            if (!node.handlers.isEmpty()) {
                return node.handlers;
            }
            if (node.wildcardHandlers != null) {
                request.setPathParam(node.wildcardName, "");
                return node.wildcardHandlers;
            }
            return null;
        }
        String segment = RequestParser.percentDecode(segments[i]);
        Node literal = node.literals.get(segment);
        if (literal != null) {
            Map<String, Handler> found = match(literal, segments, i + 1, request);
            if (found != null) {
                return found;
            }
        }
        if (node.param != null) {
            request.setPathParam(node.paramName, segment);
            Map<String, Handler> found = match(node.param, segments, i + 1, request);
            if (found != null) {
                return found;
            }
            request.dropLastPathParam();
        }
        if (node.wildcardHandlers != null) {
            List<String> rest = new ArrayList<>(segments.length - i);
            for (int k = i; k < segments.length; k++) {
                rest.add(k == i ? segment : RequestParser.percentDecode(segments[k]));
            }
            request.setPathParam(node.wildcardName, String.join("/", rest));
            return node.wildcardHandlers;
        }
        return null;
    }
}
