package io.percore.dns;

import io.percore.net.SocketAddress;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The static table of {@code /etc/hosts} (hosts(5)): each line an address, a canonical name and aliases,
 * {@code #} starting a comment. Lookups ignore ASCII case and a final dot; a name listed on several lines has
 * all their addresses, in file order; the reverse of an address is the canonical name of the first line that
 * lists it. Lines with an invalid address are skipped, as the C library does. Parsing does no I/O (read the
 * file with {@link DnsConfig#load()} or yourself, off the shard). Immutable; any thread.
 */
public final class HostsFile {
    private static final HostsFile EMPTY = new HostsFile(Map.of(), Map.of());

    private final Map<String, List<InetAddress>> byName;
    private final Map<InetAddress, String> byAddress;

    private HostsFile(Map<String, List<InetAddress>> byName, Map<InetAddress, String> byAddress) {
        this.byName = byName;
        this.byAddress = byAddress;
    }

    /** @return a table with no entries. */
    public static HostsFile empty() {
        return EMPTY;
    }

    /** @return the table in {@code text}, the contents of a hosts file. */
    public static HostsFile parse(String text) {
        Map<String, List<InetAddress>> byName = new LinkedHashMap<>();
        Map<InetAddress, String> byAddress = new HashMap<>();
        for (String rawLine : text.split("\n", -1)) {
            int hash = rawLine.indexOf('#');
            String line = (hash >= 0 ? rawLine.substring(0, hash) : rawLine).strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] fields = line.split("\\s+");
            if (fields.length < 2) {
                continue;
            }
            InetAddress address;
            try {
                address = SocketAddress.parseLiteral(fields[0]);
            } catch (IllegalArgumentException e) {
                continue;
            }
            for (int i = 1; i < fields.length; i++) {
                String name;
                try {
                    name = DnsNames.canonical(fields[i]);
                } catch (IllegalArgumentException e) {
                    continue;
                }
                if (name.isEmpty()) {
                    continue;
                }
                List<InetAddress> list = byName.computeIfAbsent(DnsNames.key(name), k -> new ArrayList<>(2));
                if (!list.contains(address)) {
                    list.add(address);
                }
                byAddress.putIfAbsent(address, name);
            }
        }
        Map<String, List<InetAddress>> frozen = new HashMap<>();
        byName.forEach((k, v) -> frozen.put(k, List.copyOf(v)));
        return new HostsFile(Collections.unmodifiableMap(frozen), Collections.unmodifiableMap(byAddress));
    }

    /** @return the addresses listed for {@code name} (both families, file order); empty when none. */
    public List<InetAddress> lookup(String name) {
        List<InetAddress> found = byName.get(DnsNames.key(name));
        return found == null ? List.of() : found;
    }

    /** @return the canonical name listed for {@code address}, or null. */
    public String reverse(InetAddress address) {
        return byAddress.get(address);
    }

    /** @return the number of distinct names in the table. */
    public int size() {
        return byName.size();
    }

    @Override
    public String toString() {
        return "HostsFile[" + byName.size() + " names]";
    }
}
