package io.percore.app;

import io.percore.core.Future;
import io.percore.net.Network;
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
 * The native stack's life in a program run by {@link AppTemplate}: the TAP device opened before the shards start
 * (so a missing permission fails before anything runs), a {@link NativeStack} started and
 * {@linkplain Network#install installed} on every shard before the program's main function, and all of it stopped
 * after the program, before the shards stop. Driven by the thread that runs the template.
 */
final class NativeStackRunner {
    private static final Logger LOG = LoggerFactory.getLogger(NativeStackRunner.class);

    private final NativeNetwork network;
    /** Each slot written and read by its own shard only. */
    private final NativeStack[] stacks;

    private NativeStackRunner(NativeNetwork network, int shards) {
        this.network = network;
        this.stacks = new NativeStack[shards];
    }

    /**
     * Opens the TAP device of {@code config} with one queue per shard, in this process's network namespace.
     *
     * @throws RuntimeException from the kernel (EPERM without CAP_NET_ADMIN, no /dev/net/tun, ...)
     */
    static NativeStackRunner open(NativeStackConfig config, int shards) {
        preload();
        return new NativeStackRunner(NativeNetwork.openTap(config, shards, null), shards);
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

    /** Starts and installs a stack on every shard; waits at most {@code timeout}. */
    void start(Smp smp, Duration timeout) throws Exception {
        smp.invokeOnAllExternal(id -> {
            NativeStack s = network.startShard();
            stacks[id] = s;
            Network.install(s);
            return Future.done();
        }).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        NativeStackConfig c = network.config();
        LOG.info("native stack on {}: {}{}, gateway {}, MTU {}", network.device().describe(),
                c.hostIpv4().getHostAddress(), c.hostIpv6() == null ? "" : " and " + c.hostIpv6().getHostAddress()
                        + "/" + c.ipv6PrefixLength(), c.gatewayIpv4() == null ? "none" : c.gatewayIpv4().getHostAddress(),
                c.mtu());
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
