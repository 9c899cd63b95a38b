package io.percore.apps.iotester;

import io.percore.memory.MemorySize;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One io_tester workload: what each shard that runs it does, in its own {@link io.percore.file.IoClass}.
 *
 * @param name        the job's name (and its I/O class's)
 * @param type        read or write, sequential or random
 * @param reqSize     bytes per request
 * @param parallelism requests each shard keeps in flight (the queue depth per shard)
 * @param shares      the I/O class's shares
 * @param fileSize    bytes of file the job works over, per shard
 * @param shards      the shards that run it; empty for all
 * @param file        a file shared by every shard, or null for a file per shard under the storage directory
 */
record JobSpec(String name, Type type, int reqSize, int parallelism, int shares, long fileSize, List<Integer> shards,
               String file) {

    /** The kinds of workload. */
    enum Type {
        SEQREAD, SEQWRITE, RANDREAD, RANDWRITE;

        boolean isRead() {
            return this == SEQREAD || this == RANDREAD;
        }

        boolean isSequential() {
            return this == SEQREAD || this == SEQWRITE;
        }

        /** @throws IllegalArgumentException naming the accepted types */
        static Type parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown job type '" + s
                        + "' (seqread, seqwrite, randread, randwrite)");
            }
        }

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** @throws IllegalArgumentException for values no run could use */
    JobSpec {
        if (name == null || !name.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("job names are letters, digits, '_', '.', '-': got '" + name + "'");
        }
        if (reqSize < 512 || reqSize % 512 != 0) {
            throw new IllegalArgumentException("job " + name + ": request size must be a positive multiple of 512, got "
                    + reqSize);
        }
        if (parallelism < 1 || parallelism > 4096) {
            throw new IllegalArgumentException("job " + name + ": parallelism must be 1 to 4096, got " + parallelism);
        }
        if (shares < 1 || shares > 1_000_000) {
            throw new IllegalArgumentException("job " + name + ": shares must be 1 to 1000000, got " + shares);
        }
        if (fileSize < reqSize) {
            throw new IllegalArgumentException("job " + name + ": file size " + fileSize
                    + " is smaller than one request of " + reqSize);
        }
        shards = List.copyOf(shards);
    }

    /** @return true when shard {@code id} runs this job. */
    boolean runsOn(int id) {
        return shards.isEmpty() || shards.contains(id);
    }

    private static final Set<String> KEYS = Set.of("name", "type", "reqsize", "parallelism", "iodepth", "shares",
            "file_size", "shards", "file", "shard_info");

    /**
     * Reads the jobs of a workload file: either {@code {"jobs": [ ... ]}} or the list itself. Each job is an
     * object with {@code name}, {@code type}, {@code reqsize} ("4k" or a number), {@code parallelism} (or
     * {@code iodepth}), {@code shares}, {@code file_size}, {@code shards} ("all" or a list of ids) and {@code file};
     * the per-shard fields may also sit in a {@code shard_info} object, as in Seastar's io_tester. A missing field
     * takes its value from {@code defaults} (the command line's job options).
     *
     * @throws IllegalArgumentException naming the job and field at fault
     */
    static List<JobSpec> fromJson(Object json, JobSpec defaults) {
        Object jobs = json;
        if (json instanceof Map<?, ?> top) {
            for (Object k : top.keySet()) {
                if (!k.equals("jobs")) {
                    throw new IllegalArgumentException("unknown top-level key \"" + k + "\" (expected \"jobs\")");
                }
            }
            jobs = top.get("jobs");
        }
        if (!(jobs instanceof List<?> list) || list.isEmpty()) {
            throw new IllegalArgumentException("the workload file must hold a non-empty list of jobs");
        }
        List<JobSpec> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        int index = 0;
        for (Object o : list) {
            index++;
            if (!(o instanceof Map<?, ?> raw)) {
                throw new IllegalArgumentException("job " + index + " is not an object");
            }
            Map<String, Object> m = flatten(raw, index);
            String name = m.containsKey("name") ? str(m.get("name")) : "job" + index;
            try {
                JobSpec j = new JobSpec(name,
                        m.containsKey("type") ? Type.parse(str(m.get("type"))) : defaults.type(),
                        m.containsKey("reqsize") ? (int) size(m.get("reqsize")) : defaults.reqSize(),
                        m.containsKey("parallelism") ? (int) integer(m.get("parallelism"))
                                : m.containsKey("iodepth") ? (int) integer(m.get("iodepth")) : defaults.parallelism(),
                        m.containsKey("shares") ? (int) integer(m.get("shares")) : defaults.shares(),
                        m.containsKey("file_size") ? size(m.get("file_size")) : defaults.fileSize(),
                        m.containsKey("shards") ? shardList(m.get("shards")) : defaults.shards(),
                        m.containsKey("file") ? str(m.get("file")) : defaults.file());
                if (!names.add(j.name())) {
                    throw new IllegalArgumentException("two jobs are named '" + j.name() + "'");
                }
                out.add(j);
            } catch (IllegalArgumentException | ClassCastException e) {
                throw new IllegalArgumentException("job '" + name + "': " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static Map<String, Object> flatten(Map<?, ?> raw, int index) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : raw.entrySet()) {
            String k = (String) e.getKey();
            if (!KEYS.contains(k)) {
                throw new IllegalArgumentException("job " + index + ": unknown key \"" + k + "\" (known: "
                        + String.join(", ", KEYS.stream().sorted().toList()) + ")");
            }
            if (k.equals("shard_info")) {
                if (!(e.getValue() instanceof Map<?, ?> info)) {
                    throw new IllegalArgumentException("job " + index + ": shard_info must be an object");
                }
                m.putAll(flatten(info, index));
            } else {
                m.put(k, e.getValue());
            }
        }
        return m;
    }

    private static String str(Object o) {
        if (!(o instanceof String s)) {
            throw new IllegalArgumentException("expected a string, got " + o);
        }
        return s;
    }

    private static long integer(Object o) {
        if (o instanceof Long l) {
            return l;
        }
        throw new IllegalArgumentException("expected a whole number, got " + o);
    }

    private static long size(Object o) {
        if (o instanceof Long l) {
            return l;
        }
        if (o instanceof String s) {
            return MemorySize.parse(s);
        }
        throw new IllegalArgumentException("expected a size such as \"4k\" or a number, got " + o);
    }

    private static List<Integer> shardList(Object o) {
        if ("all".equals(o)) {
            return List.of();
        }
        if (o instanceof List<?> l) {
            List<Integer> ids = new ArrayList<>();
            for (Object x : l) {
                long id = integer(x);
                if (id < 0 || id > 4096) {
                    throw new IllegalArgumentException("bad shard id " + id);
                }
                ids.add((int) id);
            }
            return ids;
        }
        throw new IllegalArgumentException("shards must be \"all\" or a list of shard ids, got " + o);
    }
}
