package io.percore.sys;

import java.util.ArrayList;
import java.util.List;

/**
 * What io_uring_register(IORING_REGISTER_PROBE) said about the running kernel: the highest opcode it knows and
 * which opcodes it supports. Immutable: any thread.
 */
public final class IoUringProbe {
    private final int lastOp;
    private final boolean[] supported;

    /**
     * @param lastOp    the highest opcode the kernel knows
     * @param supported per opcode, whether the kernel supports it
     */
    public IoUringProbe(int lastOp, boolean[] supported) {
        this.lastOp = lastOp;
        this.supported = supported.clone();
    }

    /** @return the highest opcode the kernel knows (so the count of opcodes minus one). */
    public int lastOp() {
        return lastOp;
    }

    /** @return true when the kernel supports {@code opcode} ({@link IoUringOpcode}). */
    public boolean supports(int opcode) {
        return opcode >= 0 && opcode < supported.length && supported[opcode];
    }

    /** @return the names of the supported opcodes, in opcode order. */
    public List<String> supportedNames() {
        List<String> names = new ArrayList<>();
        for (int op = 0; op < supported.length; op++) {
            if (supported[op]) {
                names.add(IoUringOpcode.name(op));
            }
        }
        return names;
    }

    @Override
    public String toString() {
        return "io_uring probe: last op " + lastOp + " (" + IoUringOpcode.name(lastOp) + "), supported: "
                + String.join(" ", supportedNames());
    }
}
