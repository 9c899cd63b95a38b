package io.percore.file;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Attaches and detaches loop devices with losetup(8), for tests that need a block device of their own. */
final class LoopDevice {
    private LoopDevice() {}

    /** @return the device node ("/dev/loop3") backed by {@code image}, or null when losetup is refused. */
    static String attach(Path image, int sectorSize) throws Exception {
        Process p = new ProcessBuilder(List.of("losetup", "-f", "--show", "--sector-size", Integer.toString(sectorSize),
                image.toString())).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0 || !out.startsWith("/dev/")) {
            return null;
        }
        return out;
    }

    /** Detaches {@code device}; quiet when it is gone. */
    static void detach(String device) throws Exception {
        new ProcessBuilder(List.of("losetup", "-d", device)).redirectErrorStream(true).start().waitFor(20,
                TimeUnit.SECONDS);
    }
}
