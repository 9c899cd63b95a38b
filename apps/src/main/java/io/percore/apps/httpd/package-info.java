/**
 * {@code ./percore httpd}: percore's HTTP/1.1 server as a program — the README's main command and the subject of
 * {@code ./percore bench http}. One {@link io.percore.http.HttpServer} per shard, all listening on one port, each
 * with its own router and counters; nothing is shared between shards, and {@code /metrics} adds the shards'
 * counters up with a map-reduce when it is scraped.
 */
package io.percore.apps.httpd;
