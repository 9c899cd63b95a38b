package io.percore.bench.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.percore.bench.Report;
import io.percore.bench.ServerProcess;
import io.percore.reactor.ReactorBackends;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The tcp comparison's harness, so it cannot rot: a short run (two interleaved rounds, about 2 s per server) against percore's echo on
 * the default backend and Netty's echo on epoll must serve requests through the load generator and end with their
 * figure lines, system calls per request included when strace is installed. Also the parsing of strace's summary.
 * The numbers themselves are not checked beyond "requests were served": a short run on a shared machine means
 * nothing.
 */
class TcpBenchTest {
    /** strace 6.x: the total row has a usecs/call column; rows without errors leave that column empty. */
    private static final String STRACE_6 = """
            % time     seconds  usecs/call     calls    errors syscall
            ------ ----------- ----------- --------- --------- ----------------
             52.10    0.010000           5      2000           recvfrom
             40.00    0.008000           4      2000           sendto
              7.90    0.001500          15       100        12 epoll_pwait2
            ------ ----------- ----------- --------- --------- ----------------
            100.00    0.019500           4      4100        12 total
            """;

    /** Older strace: no usecs/call in the total row. */
    private static final String STRACE_OLD = """
            % time     seconds  usecs/call     calls    errors syscall
            ------ ----------- ----------- --------- --------- ----------------
             90.00    0.009000          90       100           io_uring_enter
             10.00    0.001000          50        20         5 futex
            ------ ----------- ----------- --------- --------- ----------------
            100.00    0.010000                   120         5 total
            """;

    @Test
    void straceSummaryIsReadRowByRow() {
        TcpBench.Syscalls s = TcpBench.parseStraceSummary(STRACE_6, 2000);
        assertNotNull(s);
        assertEquals(4100, s.total());
        assertEquals(2000L, s.byName().get("recvfrom"));
        assertEquals(100L, s.byName().get("epoll_pwait2"));
        assertEquals(2.05, s.perRequest(), 1e-9);
        assertTrue(TcpBench.describe(s).startsWith("2.05 syscalls/req: recvfrom 1.00 sendto 1.00 epoll_pwait2 0.05"),
                TcpBench.describe(s));

        TcpBench.Syscalls old = TcpBench.parseStraceSummary(STRACE_OLD, 1000);
        assertNotNull(old);
        assertEquals(120, old.total());
        assertEquals(20L, old.byName().get("futex"));
        assertEquals(0.12, old.perRequest(), 1e-9);
    }

    @Test
    void aSummaryWithoutItsTotalRowIsNotTrusted() {
        String cut = STRACE_6.substring(0, STRACE_6.indexOf("------ -", 10));
        assertNull(TcpBench.parseStraceSummary(cut, 10));
        assertNull(TcpBench.parseStraceSummary("strace: attach: ptrace(PTRACE_SEIZE, 1): Operation not permitted", 10));
    }

    @Test
    void shortRunServesRequestsAndEndsWithFigures() throws Exception {
        assumeTrue(ServerProcess.onPath("taskset"), "taskset (util-linux) is not installed");
        boolean strace = ServerProcess.onPath("strace");
        String backend = ReactorBackends.defaultName();
        List<TcpBench.Server> servers = List.of(TcpBench.percore(backend), TcpBench.servers().stream()
                .filter(s -> s.name().equals("netty_epoll")).findFirst().orElseThrow());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Report report = new Report(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        List<TcpBench.Result> results = TcpBench.run(servers, new TcpBench.Timing(200, 2, 500, 500), report);
        String out = bytes.toString(StandardCharsets.UTF_8);

        assertEquals(2, results.size(), out);
        for (TcpBench.Result r : results) {
            assertEquals(2, r.rounds().size(), r.toString());
            assertTrue(r.requests() > 100, "too few requests served: " + r + "\n" + out);
            assertTrue(r.cpuSeconds() > 0, "no server CPU time measured: " + r);
            if (strace) {
                assertNotNull(r.syscalls(), "strace is installed but gave no counts:\n" + out);
                // Every echo costs the server at least a receive and a send: one syscall each on epoll.
                assertTrue(r.syscalls().perRequest() >= 1 || !backend.equals("epoll") && r.server().name().startsWith("percore"),
                        "implausibly few system calls per request: " + r);
            }
        }
        String p = "tcp_" + TcpBench.percore(backend).name();
        for (String name : List.of(p + "_rps", p + "_req_per_cpu_s", p + "_p99", "tcp_netty_epoll_rps",
                "tcp_netty_epoll_req_per_cpu_s", "tcp_percore_vs_netty_req_per_cpu_s", "tcp_percore_vs_netty_rps")) {
            assertTrue(report.figures().stream().anyMatch(f -> f.startsWith("figure " + name + " ")),
                    "no figure " + name + " in " + report.figures());
        }
        assertEquals(strace, report.figures().stream().anyMatch(f -> f.startsWith("figure " + p + "_syscalls_per_req ")),
                report.figures().toString());
        for (String f : report.figures()) {
            double v = Double.parseDouble(f.split(" ")[2]);
            assertTrue(v > 0, "figure not positive: " + f);
        }
    }
}
