package io.percore.apps.httpd;

import io.percore.http.HttpServerStats;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * The httpd counters in the Prometheus text exposition format (version 0.0.4): for each counter a family summed
 * over the shards and a family with one sample per shard ({@code shard} label).
 */
final class PrometheusText {
    private PrometheusText() {}

    private record Metric(String name, String type, String help, ToLongFunction<HttpServerStats> value) {}

    private static final Metric[] METRICS = {
            new Metric("percore_http_requests_total", "counter", "HTTP requests received (refused ones included).", HttpServerStats::requests),
            new Metric("percore_http_received_bytes_total", "counter", "Bytes read from HTTP connections.", HttpServerStats::bytesReceived),
            new Metric("percore_http_sent_bytes_total", "counter", "Bytes written to HTTP connections.", HttpServerStats::bytesSent),
            new Metric("percore_http_connections_opened_total", "counter", "HTTP connections accepted.", HttpServerStats::connectionsOpened),
            new Metric("percore_http_connections_open", "gauge", "HTTP connections open now.", HttpServerStats::connectionsOpen),
            new Metric("percore_http_errors_total", "counter", "Refused requests, handler failures and connection errors.", HttpServerStats::errors),
    };

    /** @return the exposition text for the shards' counters (shard id to snapshot). */
    static String render(Map<Integer, HttpServerStats> perShard) {
        StringBuilder sb = new StringBuilder(2048);
        for (Metric m : METRICS) {
            long sum = 0;
            for (HttpServerStats s : perShard.values()) {
                sum += m.value.applyAsLong(s);
            }
            sb.append("# HELP ").append(m.name).append(' ').append(m.help).append(" All shards.\n");
            sb.append("# TYPE ").append(m.name).append(' ').append(m.type).append('\n');
            sb.append(m.name).append(' ').append(sum).append('\n');
            String perName = m.name.replace("percore_http_", "percore_http_shard_");
            sb.append("# HELP ").append(perName).append(' ').append(m.help).append(" Per shard.\n");
            sb.append("# TYPE ").append(perName).append(' ').append(m.type).append('\n');
            for (Map.Entry<Integer, HttpServerStats> e : perShard.entrySet()) {
                sb.append(perName).append("{shard=\"").append(e.getKey()).append("\"} ")
                        .append(m.value.applyAsLong(e.getValue())).append('\n');
            }
        }
        return sb.toString();
    }
}
