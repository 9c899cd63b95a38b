package io.percore.apps.httpd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code percore httpd} as a process: starts with no configuration but a free port, serves, stops on SIGTERM. */
class HttpdProcessTest {
    @Test
    void runsServesAndStopsOnSigterm() throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "io.percore.apps.Main", "httpd", "--port", "0", "--smp", "2",
                "--address", "127.0.0.1", "--memory", "512M"));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertTrue(line != null, "httpd printed nothing");
            Matcher m = Pattern.compile("percore httpd: listening on http://127\\.0\\.0\\.1:(\\d+)/ on 2 shard\\(s\\), reactor backend \\S+").matcher(line);
            assertTrue(m.find(), line);
            int port = Integer.parseInt(m.group(1));
            try (HttpClient client = HttpClient.newHttpClient()) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals("Hello, World!", r.body());
            }
            long t0 = System.nanoTime();
            new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor(5, TimeUnit.SECONDS);
            assertTrue(p.waitFor(15, TimeUnit.SECONDS), "httpd did not stop on SIGTERM");
            assertEquals(0, p.exitValue());
            assertTrue(Duration.ofNanos(System.nanoTime() - t0).toSeconds() < 10);
        } finally {
            p.destroyForcibly();
        }
    }
}
