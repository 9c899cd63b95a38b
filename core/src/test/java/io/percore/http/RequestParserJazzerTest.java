package io.percore.http;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.SplittableRandom;

/**
 * Coverage-guided fuzzing of the request parser with Jazzer (libFuzzer for the JVM; it runs on JDK 25). The first
 * input byte seeds where the input is cut; the rest is the request bytes, checked as {@link RequestParserFuzzTest}
 * checks its mutations. A normal build replays the seed corpus in {@code RequestParserJazzerTestInputs/parse}; to
 * fuzz, run {@code JAZZER_FUZZ=1 ./mvnw -pl core test -Dtest=RequestParserJazzerTest} (it stops after
 * {@code maxDuration}, and saves any crashing input beside the seeds).
 */
class RequestParserJazzerTest extends ShardTestBase {
    @FuzzTest(maxDuration = "60s")
    void parse(byte[] data) throws Exception {
        if (data.length == 0) {
            return;
        }
        SplittableRandom r = new SplittableRandom(data[0]);
        byte[] input = java.util.Arrays.copyOfRange(data, 1, data.length);
        onShard(() -> RequestParserFuzzTest.check(input, r, "jazzer input"));
    }
}
