package io.percore.dns;

import java.util.Objects;

/**
 * The question of a DNS message: a name, a record type and a class (IN for every query a resolver sends).
 * Immutable; any thread.
 *
 * @param name     the name in presentation form, without the final dot
 * @param type     {@link DnsRecord#A} and friends
 * @param dnsClass {@link DnsRecord#CLASS_IN}
 */
public record DnsQuestion(String name, int type, int dnsClass) {
    public DnsQuestion {
        Objects.requireNonNull(name, "name");
        if (type < 0 || type > 0xFFFF || dnsClass < 0 || dnsClass > 0xFFFF) {
            throw new IllegalArgumentException("type or class out of range");
        }
    }

    /** @return a question of class IN. */
    public static DnsQuestion of(String name, int type) {
        return new DnsQuestion(name, type, DnsRecord.CLASS_IN);
    }

    /** @return true when {@code other} asks the same: same name (ignoring ASCII case), type and class. */
    public boolean matches(DnsQuestion other) {
        return other.type == type && other.dnsClass == dnsClass && DnsRecord.sameName(other.name, name);
    }

    @Override
    public String toString() {
        return name + " " + DnsRecord.typeName(type) + (dnsClass == DnsRecord.CLASS_IN ? "" : " CLASS" + dnsClass);
    }
}
