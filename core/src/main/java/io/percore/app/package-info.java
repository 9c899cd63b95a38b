/**
 * Start-up: how a percore program goes from {@code main(String[])} to running shards and back to an exit code.
 *
 * <p>Seastar programs begin with {@code app_template}: it owns the command line, starts the reactor threads,
 * runs the program's function on shard 0, and stops everything when that function's future resolves or a
 * signal arrives. {@link io.percore.app.AppTemplate} is the same for the JVM. Its options
 * ({@link io.percore.app.AppOptions}) keep Seastar's names — {@code --smp}, {@code --cpuset}, {@code --memory},
 * {@code --reactor-backend}, {@code --task-quota-ms}, {@code --idle-poll-time-us}, {@code --poll-mode},
 * {@code --overprovisioned}, {@code --blocked-reactor-notify-ms} — so people who run Seastar services need not
 * learn new ones; programs add their own through picocli-annotated objects. {@code --network-stack posix|native}
 * ({@link io.percore.app.NetworkOptions}) picks the network stack the same way: under {@code native} the template
 * opens the TAP device (or an existing interface through AF_PACKET), starts percore's own TCP/IP on every shard
 * (under {@code --dhcp}, with the address a DHCPv4 server leased) and installs it behind
 * {@link io.percore.net.Network#stack()}, so a program's code does not change with the stack.
 *
 * <p>The contract a program relies on: the command line is checked completely before any thread starts (a bad
 * option costs one line on stderr and exit code 2, never a stack trace); the program's function runs on shard 0
 * with an {@link io.percore.app.AppContext}; the first SIGINT/SIGTERM only <em>asks</em> the program to stop
 * ({@link io.percore.app.AppContext#stopRequested()}), so it can drain connections and flush what it holds; the
 * shards then stop in reverse order; every wait on the way out is bounded, so a stuck program still exits.
 */
package io.percore.app;
