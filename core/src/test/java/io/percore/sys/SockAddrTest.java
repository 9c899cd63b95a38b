package io.percore.sys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** sockaddr_in / sockaddr_in6 byte layouts: families in host order, ports and addresses in network order. */
class SockAddrTest {
    private static byte[] bytes(SockAddr a) {
        return a.segment().asSlice(0, a.length()).toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void ipv4IsSixteenBytesWithPortAndAddressInNetworkOrder() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            SockAddr a = SockAddr.allocate(arena);
            assertEquals(16, a.set(InetAddress.getByName("192.168.1.2"), 0x1234, false));
            byte[] expected = {2, 0, 0x12, 0x34, (byte) 192, (byte) 168, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0};
            assertArrayEquals(expected, bytes(a));
            assertEquals(Socket.AF_INET, a.family());
            assertEquals(0x1234, a.port());
            assertEquals(InetAddress.getByName("192.168.1.2"), a.address());
            assertEquals(0, a.scopeId());
        }
    }

    @Test
    void ipv6CarriesTheScopeIdInHostOrder() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            SockAddr a = SockAddr.allocate(arena);
            Inet6Address ip = Inet6Address.getByAddress(null, InetAddress.getByName("fe80::1").getAddress(), 3);
            assertEquals(28, a.set(ip, 443, true));
            byte[] b = bytes(a);
            assertEquals(10, b[0]);
            assertEquals(0, b[1]);
            assertEquals(0x01, b[2]);
            assertEquals((byte) 0xbb, b[3]);
            assertEquals((byte) 0xfe, b[8]);
            assertEquals((byte) 0x80, b[9]);
            assertEquals(1, b[23]);
            assertEquals(3, a.segment().get(ValueLayout.JAVA_INT_UNALIGNED, 24)); // little-endian on the machine
            assertEquals(3, a.scopeId());
            InetAddress back = a.address();
            assertInstanceOf(Inet6Address.class, back);
            assertEquals(3, ((Inet6Address) back).getScopeId());
            assertEquals(443, a.port());
        }
    }

    @Test
    void ipv4GoesV4MappedIntoAnIpv6SocketAndDecodesBackAsIpv4() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            SockAddr a = SockAddr.allocate(arena);
            assertEquals(28, a.set(InetAddress.getByName("127.0.0.1"), 7, true));
            byte[] b = bytes(a);
            assertEquals(Socket.AF_INET6, a.family());
            assertEquals((byte) 0xff, b[18]);
            assertEquals((byte) 0xff, b[19]);
            assertEquals(127, b[20]);
            assertEquals(1, b[23]);
            InetAddress back = a.address();
            assertInstanceOf(Inet4Address.class, back);
            assertEquals("127.0.0.1", back.getHostAddress());
        }
    }

    @Test
    void anIpv6AddressDoesNotFitAnIpv4Socket() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            SockAddr a = SockAddr.allocate(arena);
            assertThrows(IllegalArgumentException.class, () -> a.set(InetAddress.getByName("::1"), 1, false));
            assertThrows(IllegalArgumentException.class, () -> a.set(InetAddress.getByName("::1"), 65536, true));
        }
    }

    @Test
    void sameAsComparesTheUsedBytes() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            SockAddr a = SockAddr.allocate(arena);
            SockAddr b = SockAddr.allocate(arena);
            a.set(InetAddress.getByName("::1"), 9, true);
            b.set(InetAddress.getByName("::1"), 9, true);
            assertTrue(a.sameAs(b));
            b.set(InetAddress.getByName("::1"), 10, true);
            assertFalse(a.sameAs(b));
            b.copyFrom(a);
            assertTrue(a.sameAs(b));
            assertEquals(9, b.port());
        }
    }

    @Test
    void msgHdrPointsAtItsIovecsAndName() throws Exception {
        try (MsgHdr m = new MsgHdr(4); Arena arena = Arena.ofConfined()) {
            var data = arena.allocate(100);
            m.reset();
            m.setIov(0, data, 10, 20);
            m.setIov(1, data, 50, 5);
            m.setIovCount(2);
            assertEquals(2, m.iovCount());
            var hdr = m.segment();
            assertEquals(56, hdr.byteSize());
            long iovAddress = hdr.get(ValueLayout.JAVA_LONG, 16);
            var iov = java.lang.foreign.MemorySegment.ofAddress(iovAddress).reinterpret(32);
            assertEquals(data.address() + 10, iov.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(20, iov.get(ValueLayout.JAVA_LONG, 8));
            assertEquals(data.address() + 50, iov.get(ValueLayout.JAVA_LONG, 16));
            assertEquals(2, hdr.get(ValueLayout.JAVA_LONG, 24));
            assertEquals(0, hdr.get(ValueLayout.JAVA_LONG, 0)); // no name yet
            m.name().set(InetAddress.getByName("127.0.0.1"), 80, false);
            m.useName(true);
            assertEquals(m.name().segment().address(), hdr.get(ValueLayout.JAVA_LONG, 0));
            assertEquals(16, hdr.get(ValueLayout.JAVA_INT, 8));
            assertThrows(IndexOutOfBoundsException.class, () -> m.setIov(4, data, 0, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> m.setIov(0, data, 90, 20));
            assertThrows(IllegalArgumentException.class, () -> new MsgHdr(MsgHdr.IOV_MAX + 1));
        }
    }
}
