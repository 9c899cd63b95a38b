package io.percore.reactor.aio;

import io.percore.sys.ErrnoException;
import io.percore.sys.Fd;
import io.percore.sys.Native;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * open(2) for the AIO tests, which need descriptors of regular files (O_DIRECT among them). {@code sys} has no
 * binding for open yet (the file layer will bring one), so the tests bind it here themselves.
 */
public final class TestFiles {
    private TestFiles() {}

    public static final int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0100, O_TRUNC = 01000;
    /** O_DIRECT differs by architecture: 040000 on x86_64, 0200000 on aarch64. */
    public static final int O_DIRECT = "aarch64".equals(System.getProperty("os.arch")) ? 0200000 : 040000;

    private static final MethodHandle OPEN = Native.downcallErrno("open",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            Linker.Option.firstVariadicArg(2));

    /**
     * @return a new descriptor for {@code path}, created with mode 0600 when {@code flags} has O_CREAT
     * @throws ErrnoException e.g. EINVAL when the filesystem refuses O_DIRECT
     */
    public static int open(Path path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(Native.errnoSlot(), arena.allocateFrom(path.toString()), flags | Fd.O_CLOEXEC, 0600);
            if (fd < 0) {
                throw new ErrnoException(Native.lastErrno(), "open", path.toString());
            }
            return fd;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
