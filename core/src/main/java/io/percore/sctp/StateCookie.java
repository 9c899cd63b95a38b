package io.percore.sctp;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The state cookie of RFC 9260 section 5.1.3: everything a listener needs to build the association when the
 * COOKIE-ECHO comes back, so that it keeps no state for an INIT. Signed with HMAC-SHA-256 under a per-stack
 * secret; carries its creation time and lifetime. Shard-local (the {@link Signer} holds a {@link Mac}).
 */
record StateCookie(long createdMillis, int lifetimeMillis, int localTag, int localInitialTsn, int localOutStreams,
                   int localMaxInStreams, int peerTag, int peerRwnd, int peerOutStreams, int peerMaxInStreams,
                   int peerInitialTsn, int localPort, int peerPort, int tieLocal, int tiePeer,
                   List<InetAddress> peerAddresses) {
    private static final byte VERSION = 1;
    static final int MAC_LENGTH = 32;

    /** Signs and checks cookies with one secret. */
    static final class Signer {
        private final Mac mac;

        Signer(byte[] secret) {
            try {
                mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 unavailable", e);
            }
        }

        byte[] seal(StateCookie c) {
            ByteBuffer b = ByteBuffer.allocate(80 + 17 * c.peerAddresses.size());
            b.put(VERSION).putLong(c.createdMillis).putInt(c.lifetimeMillis).putInt(c.localTag)
                    .putInt(c.localInitialTsn).putShort((short) c.localOutStreams).putShort((short) c.localMaxInStreams)
                    .putInt(c.peerTag).putInt(c.peerRwnd).putShort((short) c.peerOutStreams)
                    .putShort((short) c.peerMaxInStreams).putInt(c.peerInitialTsn).putShort((short) c.localPort)
                    .putShort((short) c.peerPort).putInt(c.tieLocal).putInt(c.tiePeer)
                    .put((byte) c.peerAddresses.size());
            for (InetAddress a : c.peerAddresses) {
                byte[] raw = a.getAddress();
                b.put((byte) raw.length).put(raw);
            }
            int n = b.position();
            byte[] out = new byte[n + MAC_LENGTH];
            System.arraycopy(b.array(), 0, out, 0, n);
            mac.update(out, 0, n);
            byte[] tag = mac.doFinal();
            System.arraycopy(tag, 0, out, n, MAC_LENGTH);
            return out;
        }

        /** @return the cookie when its signature is ours, null otherwise (never throws on bad input) */
        StateCookie open(byte[] raw) {
            if (raw.length < 1 + MAC_LENGTH) {
                return null;
            }
            int n = raw.length - MAC_LENGTH;
            mac.update(raw, 0, n);
            byte[] expect = mac.doFinal();
            byte[] got = java.util.Arrays.copyOfRange(raw, n, raw.length);
            if (!MessageDigest.isEqual(expect, got)) {
                return null;
            }
            try {
                ByteBuffer b = ByteBuffer.wrap(raw, 0, n);
                if (b.get() != VERSION) {
                    return null;
                }
                long created = b.getLong();
                int life = b.getInt(), lt = b.getInt(), ltsn = b.getInt();
                int los = b.getShort() & 0xFFFF, lmis = b.getShort() & 0xFFFF;
                int pt = b.getInt(), prwnd = b.getInt();
                int pos = b.getShort() & 0xFFFF, pmis = b.getShort() & 0xFFFF;
                int ptsn = b.getInt();
                int lp = b.getShort() & 0xFFFF, pp = b.getShort() & 0xFFFF;
                int tl = b.getInt(), tp = b.getInt();
                int na = b.get() & 0xFF;
                List<InetAddress> addrs = new ArrayList<>(na);
                for (int i = 0; i < na; i++) {
                    byte[] a = new byte[b.get() & 0xFF];
                    b.get(a);
                    addrs.add(InetAddress.getByAddress(a));
                }
                return new StateCookie(created, life, lt, ltsn, los, lmis, pt, prwnd, pos, pmis, ptsn, lp, pp, tl, tp,
                        addrs);
            } catch (RuntimeException | UnknownHostException e) {
                return null; // signed by us, so only a version mismatch could get here
            }
        }
    }
}
