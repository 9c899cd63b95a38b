package io.percore.net.stack;

import io.percore.core.Shard;
import java.security.SecureRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One native network: a {@link NetDevice} with its configuration, shared by the shards that each run a
 * {@link NativeStack} on one of its queues. It holds what the shards must agree on: our addresses, the flow hash
 * that decides which shard owns a connection, and which shards listen on which ports (so the first frame of a flow
 * goes to a shard that can take it).
 *
 * <p>Create it off-shard, then call {@link #startShard()} on each shard (e.g. through
 * {@code smp.invokeOnAllExternal}); stop the stacks with {@link NativeStack#stop()} on each shard, then
 * {@link #close()} off-shard.
 */
public final class NativeNetwork implements AutoCloseable {
    private final NetDevice device;
    /** Replaced when DHCP grants or drops a lease; read by any thread. */
    private volatile NativeStackConfig config;
    private final int shards;
    final long mac;
    final int mtu;
    final IpAddr ipv6, linkLocal6, gateway6;
    /**
     * The IPv4 configuration: fixed, or written by the DHCP client on its shard when a lease is granted or lost, and
     * read by every shard per packet. volatile so the other shards see a new lease without a hand-off (a plain load
     * on x86 and a load-acquire on arm64).
     */
    volatile IpAddr ipv4, netmask4, gateway4;
    final int prefix6;
    /** Per-shard stacks, each slot written and read by its own shard only. */
    final NativeStack[] stacks;
    /** TCP port → bit set of listening shards; UDP port → owning shard. Written rarely (listen/bind), read per flow. */
    final ConcurrentHashMap<Integer, Long> tcpListeners = new ConcurrentHashMap<>();
    /** UDP ports bound, each with the mask of shards bound to it (every shard may bind a port once). */
    final ConcurrentHashMap<Integer, Long> udpPorts = new ConcurrentHashMap<>();
    /** The SYN cookie secret, shared so any shard can check a cookie another shard's listener issued. */
    final long cookieSecret;

    private NativeNetwork(NetDevice device, NativeStackConfig config, int shards) {
        this.device = device;
        this.config = config;
        this.shards = shards;
        SecureRandom random = new SecureRandom();
        byte[] m = config.mac();
        if (m == null) {
            m = new byte[6];
            random.nextBytes(m);
            m[0] = (byte) ((m[0] & 0xfe) | 0x02); // unicast, locally administered
        }
        long mm = 0;
        for (byte b : m) {
            mm = (mm << 8) | (b & 0xff);
        }
        this.mac = mm;
        this.mtu = config.mtu() != 0 ? Math.min(config.mtu(), device.mtu()) : device.mtu();
        this.ipv4 = config.hostIpv4() == null ? null : IpAddr.of(config.hostIpv4());
        this.netmask4 = config.netmaskIpv4() == null ? IpAddr.v4(0xffffff00) : IpAddr.of(config.netmaskIpv4());
        this.gateway4 = config.gatewayIpv4() == null ? null : IpAddr.of(config.gatewayIpv4());
        this.ipv6 = config.hostIpv6() == null ? null : IpAddr.of(config.hostIpv6());
        this.prefix6 = config.ipv6PrefixLength();
        this.gateway6 = config.gatewayIpv6() == null ? null : IpAddr.of(config.gatewayIpv6());
        // EUI-64 interface identifier from the MAC, universal/local bit flipped (RFC 4291 appendix A).
        long iid = ((mm >>> 24) << 40) | (0xfffeL << 24) | (mm & 0xffffff);
        iid ^= 0x0200_0000_0000_0000L;
        this.linkLocal6 = new IpAddr(0xfe80_0000_0000_0000L, iid, true);
        this.stacks = new NativeStack[shards];
        this.cookieSecret = random.nextLong();
    }

    /**
     * A network on {@code device} for {@code shards} shards (the device needs no more queues than shards; shard
     * {@code s} uses queue {@code s % queueCount}). The network owns the device from now on. Any thread.
     */
    public static NativeNetwork create(NetDevice device, NativeStackConfig config, int shards) {
        if (shards < 1) {
            throw new IllegalArgumentException("need at least one shard");
        }
        if (config.hostIpv4() == null && config.hostIpv6() == null && !config.dhcp()) {
            throw new IllegalArgumentException("the native stack needs an IPv4 or IPv6 address, or DHCP");
        }
        return new NativeNetwork(device, config, shards);
    }

    /**
     * Opens the TAP device {@code config.tapDevice()} with one queue per shard and a virtio-net header, in the
     * network namespace at {@code namespacePath} (null: ours), and builds a network on it. Off-shard.
     */
    public static NativeNetwork openTap(NativeStackConfig config, int shards, String namespacePath) {
        int mtu = config.mtu() == 0 ? 1500 : config.mtu();
        TapDevice tap = TapDevice.open(config.tapDevice(), shards, mtu, true, true, namespacePath);
        return create(tap, config, shards);
    }

    /**
     * Opens the packet device on existing interface {@code config.packetInterface()} with one AF_PACKET socket per
     * shard in one fanout group and the virtio-net header (checksum offload), in the network
     * namespace at {@code namespacePath} (null: ours), and builds a network on it. The stack takes the interface's MAC unless {@code config.mac()} names another. Off-shard.
     */
    public static NativeNetwork openPacket(NativeStackConfig config, int shards, String namespacePath) {
        if (config.packetInterface() == null) {
            throw new IllegalArgumentException("the configuration names no interface for AF_PACKET");
        }
        PacketDevice dev = PacketDevice.open(config.packetInterface(), shards, config.mac(), true, namespacePath);
        try {
            NativeStackConfig c = config.withMac(dev.macAddress());
            if (config.mtu() == 0) {
                c = c.withMtu(Math.max(1280, dev.mtu()));
            }
            return create(dev, c, shards);
        } catch (RuntimeException e) {
            dev.close();
            throw e;
        }
    }

    /**
     * Opens the device the configuration names ({@link #openPacket} when it has a packet interface, else
     * {@link #openTap}) and builds a network on it. Off-shard.
     */
    public static NativeNetwork open(NativeStackConfig config, int shards, String namespacePath) {
        return config.usesPacketDevice() ? openPacket(config, shards, namespacePath) : openTap(config, shards, namespacePath);
    }

    /**
     * Runs a DHCPv4 client on the calling shard's stack (started with {@link #startShard()}; the other shards need
     * not have started yet) and keeps it running, renewing the lease, until that stack stops.
     *
     * @return resolved with the configuration the first lease gives (also {@link #config()} from then on); failed
     * with {@link DhcpClient.NoLeaseException} when no lease came within {@code options.timeout()}
     */
    public io.percore.core.Future<NativeStackConfig> configureByDhcp(DhcpClient.Options options) {
        int id = Shard.currentId();
        NativeStack s = id < 0 || id >= shards ? null : stacks[id];
        if (s == null) {
            return io.percore.core.Future.failed(new IllegalStateException("configureByDhcp() must run on a shard whose stack started"));
        }
        if (s.dhcp != null) {
            return io.percore.core.Future.failed(new IllegalStateException("a DHCP client already runs on shard " + id));
        }
        DhcpClient client = new DhcpClient(s, options);
        s.dhcp = client;
        return client.start().map(lease -> config);
    }

    /** Uses {@code lease} (null: drops the IPv4 address). On the DHCP client's shard. */
    void applyDhcpLease(DhcpClient.Lease lease) {
        if (lease == null) {
            ipv4 = null;
            gateway4 = null;
            config = config.withIpv4(null, config.netmaskIpv4(), null, config.dnsServers());
            return;
        }
        netmask4 = IpAddr.of(lease.netmask());
        gateway4 = lease.router() == null ? null : IpAddr.of(lease.router());
        ipv4 = IpAddr.of(lease.address());
        config = config.withIpv4(lease.address(), lease.netmask(), lease.router(), lease.dnsServers());
    }

    /** @return the device. */
    public NetDevice device() {
        return device;
    }

    /** @return the configuration, with the IPv4 address, netmask, gateway and DNS servers of the current DHCP lease. */
    public NativeStackConfig config() {
        return config;
    }

    /** @return the number of shards sharing the network. */
    public int shardCount() {
        return shards;
    }

    /** @return our Ethernet address as 6 bytes. */
    public byte[] macAddress() {
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) (mac >>> (40 - 8 * i));
        }
        return b;
    }

    /**
     * Starts this shard's stack on queue {@code shard % queueCount} and returns it. On the shard's thread, once.
     */
    public NativeStack startShard() {
        int id = Shard.currentId();
        if (id < 0 || id >= shards) {
            throw new IllegalStateException("startShard() must run on one of the " + shards + " shards, not on "
                    + Thread.currentThread().getName());
        }
        if (stacks[id] != null) {
            throw new IllegalStateException("the native stack already runs on shard " + id);
        }
        NativeStack s = new NativeStack(this, id, device.queue(id % device.queueCount()), config);
        stacks[id] = s;
        s.start();
        return s;
    }

    /**
     * @return the shard owning the flow (local, remote, ports), by a hash every shard computes alike and an AF_PACKET
     * device's fanout program computes in the kernel ({@link FlowSteering})
     */
    int flowShard(IpAddr local, IpAddr remote, int localPort, int remotePort) {
        return FlowSteering.shard(local, remote, localPort, remotePort, shards);
    }

    /** @return the shard that takes a TCP segment for (local, remote, ports), given which shards listen. */
    int tcpOwner(IpAddr local, IpAddr remote, int localPort, int remotePort) {
        int h = flowShard(local, remote, localPort, remotePort);
        return among(tcpListeners.get(localPort), h);
    }

    /**
     * @return the shard that takes a UDP datagram for (local, remote, ports): its flow's shard when that shard is
     * bound to the port, else one of the bound shards chosen by the flow's hash (so a peer's datagrams keep to one
     * shard), or -1 when no shard is bound (the receiving shard answers port unreachable)
     */
    int udpOwner(IpAddr local, IpAddr remote, int localPort, int remotePort) {
        Long mask = udpPorts.get(localPort);
        if (mask == null || mask == 0) {
            return -1;
        }
        if (Long.bitCount(mask) == 1) {
            return Long.numberOfTrailingZeros(mask);
        }
        return among(mask, flowShard(local, remote, localPort, remotePort));
    }

    /** @return {@code h} when the mask is empty or holds it, else the bound shard the hash picks among them. */
    private static int among(Long mask, int h) {
        if (mask == null || mask == 0 || (mask & (1L << h)) != 0) {
            return h;
        }
        int pick = h % Long.bitCount(mask);
        long m = mask;
        for (int i = 0; i < pick; i++) {
            m &= m - 1;
        }
        return Long.numberOfTrailingZeros(m);
    }

    /** Closes the device. Off-shard, after every shard's stack stopped. */
    @Override
    public void close() {
        device.close();
    }
}
