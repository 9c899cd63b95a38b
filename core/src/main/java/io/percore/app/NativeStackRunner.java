package io.percore.app;

import io.percore.core.Future;
import io.percore.net.Network;
import io.percore.net.stack.DhcpClient;
import io.percore.net.stack.NativeNetwork;
import io.percore.net.stack.NativeStack;
import io.percore.net.stack.NativeStackConfig;
import io.percore.smp.Smp;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The native stack's life in a program run by {@link AppTemplate}: the device (a TAP device, or an existing interface
 * through AF_PACKET) opened before the shards start (so a missing permission or interface fails before anything
 * runs), a {@link NativeStack} started and {@linkplain Network#install installed} on every shard, under
 * {@code --dhcp} a DHCPv4 lease obtained on shard 0 (the other shards read the leased address from the shared
 * {@link NativeNetwork}), all before the program's main function; and all of it stopped after the program, before
 * the shards stop. Driven by the thread that runs the template.
 */
final class NativeStackRunner {
    private static final Logger LOG = LoggerFactory.getLogger(NativeStackRunner.class);

    private final NativeNetwork network;
    /** How long to wait for the first DHCP lease; unused without DHCP. */
    private final Duration dhcpTimeout;
    /** Each slot written and read by its own shard only. */
    private final NativeStack[] stacks;

    private NativeStackRunner(NativeNetwork network, int shards, Duration dhcpTimeout) {
        this.network = network;
        this.dhcpTimeout = dhcpTimeout;
        this.stacks = new NativeStack[shards];
    }

    /**
     * Opens the device of {@code options} (TAP, or AF_PACKET on {@code --packet-interface}) with one queue per shard,
     * in this process's network namespace.
     *
     * @throws RuntimeException from the kernel (EPERM without CAP_NET_ADMIN or CAP_NET_RAW, no /dev/net/tun, ENODEV
     *                          for an unknown interface, ...)
     */
    static NativeStackRunner open(NetworkOptions options, int shards) {
        NativeStackConfig config = options.nativeConfig();
        preload();
        return new NativeStackRunner(NativeNetwork.open(config, shards, null), shards, options.dhcpTimeout());
    }

    /** @return the device {@code config} names, for messages: "TAP device tap0" or "interface eth1 (AF_PACKET)". */
    static String deviceName(NativeStackConfig config) {
        return config.usesPacketDevice() ? "interface " + config.packetInterface() + " (AF_PACKET)"
                : "TAP device " + config.tapDevice();
    }

    /** The start failed because no DHCP server answered in time; the message says what was tried. */
    static final class NoLeaseException extends Exception {
        NoLeaseException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Loads and initialises, here off the shards, the classes a stack's start needs whose static set-up links
     * native calls (milliseconds each), so that starting the stacks does not stall the reactors.
     */
    private static void preload() {
        for (String name : new String[] {"io.percore.sys.Mmap", "io.percore.net.stack.NativeStack",
                "io.percore.net.stack.Tcp", "io.percore.net.stack.TcpConnection", "io.percore.net.stack.Neighbours",
                "io.percore.net.stack.UdpSocket", "io.percore.net.stack.Checksum"}) {
            try {
                Class.forName(name, true, NativeStackRunner.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("percore's own class " + name + " is missing", e);
            }
        }
    }

    /**
     * Starts and installs a stack on every shard, waiting at most {@code timeout}; then, under DHCP, runs the client
     * on shard 0 until the first lease (at most the DHCP timeout) and keeps it running to renew the lease.
     *
     * @throws NoLeaseException when DHCP is on and no lease came in time
     */
    void start(Smp smp, Duration timeout) throws Exception {
        smp.invokeOnAllExternal(id -> {
            NativeStack s = network.startShard();
            stacks[id] = s;
            Network.install(s);
            return Future.done();
        }).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (network.config().dhcp()) {
            LOG.info("native stack on {}: asking for a DHCP lease (at most {} s)", network.device().describe(),
                    dhcpTimeout.toSeconds());
            DhcpClient.Options d = DhcpClient.Options.defaults();
            // RFC 2131's first retry is 4 s; a short timeout still gets a few tries.
            Duration first = d.firstRetry().compareTo(dhcpTimeout.dividedBy(4)) <= 0 ? d.firstRetry()
                    : Duration.ofMillis(Math.max(250, dhcpTimeout.toMillis() / 4));
            DhcpClient.Options options = new DhcpClient.Options(first, d.maxRetry(), dhcpTimeout);
            try {
                // The client fails its own future at the DHCP timeout; the margin covers a loaded machine.
                smp.submitExternal(0, () -> network.configureByDhcp(options))
                        .get(dhcpTimeout.plus(timeout).toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof DhcpClient.NoLeaseException n) {
                    throw new NoLeaseException(n.getMessage());
                }
                throw e;
            } catch (TimeoutException e) {
                throw new NoLeaseException("no DHCP lease on " + network.device().describe() + " within "
                        + dhcpTimeout.plus(timeout).toSeconds() + " s");
            }
            NativeStackConfig c = network.config();
            LOG.info("DHCP lease: {}/{}, gateway {}, DNS {}", c.hostIpv4().getHostAddress(),
                    c.netmaskIpv4().getHostAddress(), c.gatewayIpv4() == null ? "none" : c.gatewayIpv4().getHostAddress(),
                    c.dnsServers().isEmpty() ? "none"
                            : String.join(" ", c.dnsServers().stream().map(a -> a.getHostAddress()).toList()));
        }
        NativeStackConfig c = network.config();
        LOG.info("native stack on {}: {}{}, gateway {}, MTU {}", network.device().describe(),
                c.hostIpv4() == null ? "no IPv4 address" : c.hostIpv4().getHostAddress(),
                c.hostIpv6() == null ? "" : " and " + c.hostIpv6().getHostAddress() + "/" + c.ipv6PrefixLength(),
                c.gatewayIpv4() == null ? "none" : c.gatewayIpv4().getHostAddress(), c.mtu());
    }

    /**
     * Stops every shard's stack (open connections are reset) and closes the device; logs and carries on when a
     * shard does not answer within {@code timeout}.
     *
     * @return true when every stack stopped in time
     */
    boolean stop(Smp smp, Duration timeout) {
        boolean ok = true;
        try {
            smp.invokeOnAllExternal(id -> {
                NativeStack s = stacks[id];
                if (s != null) {
                    stacks[id] = null;
                    LOG.debug("shard {} native stack counters: {}", id, s.counters());
                    s.stop();
                }
                Network.uninstall();
                return Future.done();
            }).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            LOG.error("the native stack did not stop cleanly: {}", e.toString());
            ok = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ok = false;
        }
        return ok;
    }

    /** Closes the device; after {@link #stop} and after the shards stopped (no queue is polled any more). */
    void close() {
        network.close();
    }
}
