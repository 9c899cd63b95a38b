package io.percore.dns;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A shard's answers, keyed by (name, type): positive ones until their TTL runs out, negative ones (NXDOMAIN,
 * NODATA) for the time the zone's SOA allows (RFC 2308). Bounded: past {@code capacity} entries the least
 * recently used goes. Plain collections: one shard's thread only.
 */
final class DnsCache {
    /** The key: the name folded by {@link DnsNames#key} and the record type. */
    record Key(String name, int type) {
        static Key of(String name, int type) {
            return new Key(DnsNames.key(name), type);
        }
    }

    /** A cached answer: {@code records} null means negative; expiry in {@link System#nanoTime()} units. */
    record Entry(String canonicalName, List<DnsRecord> records, boolean noSuchDomain, long expiresAt) {
        boolean isNegative() {
            return records == null;
        }
    }

    private final int capacity;
    private final LinkedHashMap<Key, Entry> entries;

    DnsCache(int capacity) {
        this.capacity = capacity;
        // Access order makes iteration order least recently used first, which removeEldestEntry evicts.
        this.entries = new LinkedHashMap<>(Math.min(capacity, 64) * 2, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Entry> eldest) {
                return size() > DnsCache.this.capacity;
            }
        };
    }

    /** @return the live entry for {@code key}, or null (an expired one is dropped). */
    Entry get(Key key, long now) {
        Entry e = entries.get(key);
        if (e != null && now - e.expiresAt >= 0) {
            entries.remove(key);
            return null;
        }
        return e;
    }

    /**
     * Keeps an answer for {@code ttlNanos} from {@code now}, unless the cache is disabled or the TTL is zero.
     *
     * @param records the answer's records, or null for a negative answer
     */
    void put(Key key, String canonicalName, List<DnsRecord> records, boolean noSuchDomain, long now, long ttlNanos) {
        if (capacity > 0 && ttlNanos > 0) {
            entries.put(key, new Entry(canonicalName, records, noSuchDomain, now + ttlNanos));
        }
    }

    int size() {
        return entries.size();
    }

    void clear() {
        entries.clear();
    }
}
