package io.percore.net.stack;

import static io.percore.net.stack.DhcpTesting.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The DHCP codec: requests as a server reads them, replies parsed, and malformed replies refused without throwing. */
class DhcpMessageTest {
    private static final long MAC = 0x0250_4300_0001L;
    private static final int XID = 0x1234_5678;

    private static byte[] goodAck() {
        return DhcpTesting.reply(DhcpMessage.ACK, XID, MAC, ip("192.168.79.55"),
                DhcpTesting.leaseOptions(ip("255.255.255.0"), ip("192.168.79.1"), ip("192.168.79.53"), ip("192.168.79.1"),
                        120, 60, 105));
    }

    @Test
    void requestCarriesTheFieldsAServerReads() {
        byte[] b = DhcpMessage.request(DhcpMessage.REQUEST, XID, 3, true, 0, MAC, ip("192.168.79.55"), ip("192.168.79.1"));
        assertEquals(DhcpMessage.MIN_SIZE, b.length);
        assertEquals(DhcpMessage.BOOTREQUEST, b[0]);
        assertEquals(1, b[1]);
        assertEquals(6, b[2]);
        assertEquals(XID, DhcpMessage.get32(b, 4));
        assertEquals(3, DhcpMessage.get16(b, 8));
        assertEquals(DhcpMessage.FLAG_BROADCAST, DhcpMessage.get16(b, 10));
        assertEquals(0, DhcpMessage.get32(b, 12), "ciaddr is 0 before we have an address");
        assertEquals(MAC, DhcpTesting.mac(b));
        assertEquals(DhcpMessage.MAGIC_COOKIE, DhcpMessage.get32(b, DhcpMessage.COOKIE_OFFSET));
        assertEquals(DhcpMessage.REQUEST, DhcpTesting.requestType(b));
        String opts = hex(Arrays.copyOfRange(b, DhcpMessage.OPTIONS_OFFSET, DhcpMessage.MIN_SIZE));
        assertTrue(opts.contains("3204c0a84f37"), "requested address option: " + opts);
        assertTrue(opts.contains("3604c0a84f01"), "server identifier option: " + opts);
        assertTrue(opts.contains("370501030633" + "3a"), "parameter request list: " + opts);
        assertTrue(opts.contains("3d0701025043000001"), "client identifier: " + opts);
        byte[] renew = DhcpMessage.request(DhcpMessage.REQUEST, XID, 0, false, ip("192.168.79.55"), MAC, 0, 0);
        assertEquals(0, DhcpMessage.get16(renew, 10), "a renewal asks for unicast");
        assertEquals(ip("192.168.79.55"), DhcpMessage.get32(renew, 12));
        assertTrue(!hex(renew).contains("3204"), "a renewal names no requested address");
    }

    @Test
    void parsesAnAckWithItsOptions() {
        byte[] b = goodAck();
        DhcpMessage m = DhcpMessage.parse(b, b.length);
        assertNotNull(m);
        assertEquals(DhcpMessage.ACK, m.type);
        assertEquals(XID, m.xid);
        assertEquals(MAC, m.chaddr);
        assertEquals(ip("192.168.79.55"), m.yiaddr);
        assertEquals(ip("255.255.255.0"), m.subnetMask);
        assertEquals(List.of(ip("192.168.79.1")), m.routers);
        assertEquals(List.of(ip("192.168.79.53")), m.dnsServers);
        assertEquals(ip("192.168.79.1"), m.serverId);
        assertEquals(120, m.leaseSeconds);
        assertEquals(60, m.renewalSeconds);
        assertEquals(105, m.rebindingSeconds);
    }

    @Test
    void paddingAndAMissingEndAreAccepted() {
        byte[] b = DhcpTesting.reply(DhcpMessage.OFFER, XID, MAC, ip("10.0.0.9"), new byte[] {0, 0, 0});
        // Cut right after the options, dropping the END option and the BOOTP padding.
        DhcpMessage m = DhcpMessage.parse(b, DhcpMessage.OPTIONS_OFFSET + 3 + 3);
        assertNotNull(m);
        assertEquals(DhcpMessage.OFFER, m.type);
        assertEquals(-1, m.leaseSeconds, "absent lease time");
        assertEquals(List.of(), m.routers);
    }

    @Test
    void malformedRepliesAreRefused() {
        byte[] good = goodAck();
        int optionsEnd = DhcpMessage.OPTIONS_OFFSET + 3 + 7 * 6;
        assertNull(DhcpMessage.parse(good, DhcpMessage.OPTIONS_OFFSET - 1), "shorter than the fixed part");
        assertNull(DhcpMessage.parse(good, optionsEnd - 3), "last option's value cut short");
        assertNull(DhcpMessage.parse(good, DhcpMessage.OPTIONS_OFFSET + 3 + 1), "an option without its length byte");
        byte[] badCookie = good.clone();
        badCookie[DhcpMessage.COOKIE_OFFSET + 3] ^= 1;
        assertNull(DhcpMessage.parse(badCookie, badCookie.length), "bad magic cookie");
        byte[] request = good.clone();
        request[0] = DhcpMessage.BOOTREQUEST;
        assertNull(DhcpMessage.parse(request, request.length), "a request, not a reply");
        byte[] hw = good.clone();
        hw[2] = 16;
        assertNull(DhcpMessage.parse(hw, hw.length), "not a 6-byte Ethernet address");
        byte[] maskLen = good.clone();
        maskLen[DhcpMessage.OPTIONS_OFFSET + 3 + 1] = 3;
        assertNull(DhcpMessage.parse(maskLen, maskLen.length), "a 3-byte subnet mask");
        byte[] noType = DhcpTesting.reply(DhcpMessage.ACK, XID, MAC, 1, new byte[0]);
        noType[DhcpMessage.OPTIONS_OFFSET] = (byte) 200; // the message type option becomes an unknown one
        assertNull(DhcpMessage.parse(noType, noType.length), "no message type");
        byte[] badType = DhcpTesting.reply(77, XID, MAC, 1, new byte[0]);
        assertNull(DhcpMessage.parse(badType, badType.length), "unknown message type");
        byte[] overlong = DhcpTesting.reply(DhcpMessage.ACK, XID, MAC, 1, new byte[] {(byte) 3, (byte) 250, 1, 2, 3, 4});
        assertNull(DhcpMessage.parse(overlong, overlong.length), "router list longer than the message");
        assertNull(DhcpMessage.parse(good, good.length + 1), "length beyond the array");
    }

    /** Random truncations, bit flips and option soup: the parser answers a message or null, never throws. */
    @Test
    void fuzzedRepliesNeverThrow() {
        SplittableRandom r = new SplittableRandom(7);
        byte[] good = goodAck();
        int parsed = 0, refused = 0;
        for (int i = 0; i < 200_000; i++) {
            byte[] b;
            switch (i % 4) {
                case 0 -> {
                    b = good.clone();
                    for (int k = r.nextInt(1, 6); k > 0; k--) {
                        int at = DhcpMessage.OPTIONS_OFFSET - 8 + r.nextInt(b.length - DhcpMessage.OPTIONS_OFFSET + 8);
                        b[at] = (byte) r.nextInt(256);
                    }
                }
                case 1 -> b = Arrays.copyOf(good, r.nextInt(good.length + 1));
                case 2 -> {
                    byte[] soup = new byte[r.nextInt(0, 80)];
                    r.nextBytes(soup);
                    b = DhcpTesting.reply(r.nextInt(0, 10), XID, MAC, r.nextInt(), soup);
                }
                default -> {
                    b = new byte[r.nextInt(0, 600)];
                    r.nextBytes(b);
                    if (b.length > DhcpMessage.COOKIE_OFFSET + 4 && r.nextBoolean()) {
                        b[0] = DhcpMessage.BOOTREPLY;
                        b[1] = 1;
                        b[2] = 6;
                        DhcpMessage.put32(b, DhcpMessage.COOKIE_OFFSET, DhcpMessage.MAGIC_COOKIE);
                    }
                }
            }
            DhcpMessage m = DhcpMessage.parse(b, r.nextInt(4) == 0 ? r.nextInt(b.length + 1) : b.length);
            if (m == null) {
                refused++;
            } else {
                parsed++;
                assertTrue(m.type >= DhcpMessage.DISCOVER && m.type <= DhcpMessage.INFORM, "type " + m.type);
                assertTrue(m.routers.size() <= 64 && m.dnsServers.size() <= 64);
            }
        }
        assertTrue(parsed > 1000 && refused > 1000, "both outcomes exercised: " + parsed + " parsed, " + refused + " refused");
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(String.format("%02x", x & 0xff));
        }
        return s.toString();
    }
}
