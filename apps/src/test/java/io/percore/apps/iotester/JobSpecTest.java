package io.percore.apps.iotester;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Jobs from a workload file: flat and Seastar-style nested fields, defaults from the command line, and errors. */
class JobSpecTest {
    private static final JobSpec CLI = new JobSpec("job", JobSpec.Type.RANDREAD, 4096, 1, 100, 1L << 30, List.of(), null);

    @Test
    void readsJobsWithDefaultsFromTheCommandLine() {
        String json = """
                {"jobs": [
                  {"name": "queries", "type": "randread", "reqsize": "4k", "parallelism": 8, "shares": 400},
                  {"name": "compaction", "type": "seqwrite", "shards": [1],
                   "shard_info": {"reqsize": 131072, "iodepth": 4, "shares": 100}, "file_size": "64M"}
                ]}""";
        List<JobSpec> jobs = JobSpec.fromJson(Json.parse(json), CLI);
        assertEquals(new JobSpec("queries", JobSpec.Type.RANDREAD, 4096, 8, 400, 1L << 30, List.of(), null),
                jobs.get(0));
        assertEquals(new JobSpec("compaction", JobSpec.Type.SEQWRITE, 128 << 10, 4, 100, 64L << 20, List.of(1), null),
                jobs.get(1));
        assertTrue(jobs.get(0).runsOn(5));
        assertFalse(jobs.get(1).runsOn(0));
        assertTrue(jobs.get(1).runsOn(1));
        assertEquals(1, JobSpec.fromJson(Json.parse("[{\"shards\": \"all\"}]"), CLI).size(), "a bare list works too");
        assertEquals("job1", JobSpec.fromJson(Json.parse("[{}]"), CLI).getFirst().name());
    }

    @Test
    void rejectsWhatNoRunCouldUse() {
        assertError("[{\"nmae\": \"x\"}]", "unknown key \"nmae\"");
        assertError("[{\"type\": \"randrw\"}]", "unknown job type 'randrw'");
        assertError("[{\"reqsize\": 100}]", "multiple of 512");
        assertError("[{\"parallelism\": 0}]", "parallelism must be 1 to 4096");
        assertError("[{\"name\": \"a\"}, {\"name\": \"a\"}]", "two jobs are named 'a'");
        assertError("{\"job\": []}", "unknown top-level key \"job\"");
        assertError("[]", "non-empty list of jobs");
        assertError("[{\"shards\": \"some\"}]", "shards must be \"all\" or a list");
        assertError("[{\"file_size\": \"1k\", \"reqsize\": \"4k\"}]", "smaller than one request");
    }

    private static void assertError(String json, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JobSpec.fromJson(Json.parse(json), CLI));
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
