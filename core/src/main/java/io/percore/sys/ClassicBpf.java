package io.percore.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Classic BPF (cBPF) programs, as the kernel takes them with {@code SO_ATTACH_FILTER} or
 * {@code PACKET_FANOUT_DATA}: an array of {@code struct sock_filter} ({@code code}, {@code jt}, {@code jf},
 * {@code k}) behind a {@code struct sock_fprog}. An {@link Assembler} writes a program instruction by instruction,
 * with forward labels for jumps; {@link Program#encode} lays it out for a system call.
 *
 * <p>The machine: a 32-bit accumulator A, an index register X, 16 words of scratch memory M[], unsigned arithmetic
 * (add, sub, mul, div, mod, and, or, xor, shifts, neg) on A with a constant or X, and forward jumps only, so every
 * program ends. Packet loads are big-endian; a load outside the packet ends the program with 0. Offsets from
 * {@link #SKF_AD_OFF} read ancillary data (e.g. {@link #SKF_AD_PROTOCOL}, the Ethernet type in host order), and
 * from {@link #SKF_NET_OFF} / {@link #SKF_LL_OFF} read relative to the network / link-layer header.
 *
 * <p>Plain Java: any thread; an assembler is used by one thread at a time, a program is immutable.
 */
public final class ClassicBpf {
    private ClassicBpf() {}

    /** Instruction classes. */
    public static final int LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, RET = 0x06,
            MISC = 0x07;
    /** Load sizes: 32, 16 and 8 bits. */
    public static final int W = 0x00, H = 0x08, B = 0x10;
    /** Load modes. */
    public static final int IMM = 0x00, ABS = 0x20, IND = 0x40, MEM = 0x60, LEN = 0x80, MSH = 0xa0;
    /** ALU operations. */
    public static final int ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50, LSH = 0x60,
            RSH = 0x70, NEG = 0x80, MOD = 0x90, XOR = 0xa0;
    /** Jump operations. */
    public static final int JA = 0x00, JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40;
    /** Operand source: the constant k, or X; for RET, A. */
    public static final int K = 0x00, X = 0x08, A = 0x10;
    /** MISC operations: X = A, A = X. */
    public static final int TAX = 0x00, TXA = 0x80;
    /** Ancillary-data offsets ({@code SKF_AD_OFF + SKF_AD_PROTOCOL}: the frame's protocol, host order). */
    public static final int SKF_AD_OFF = -0x1000, SKF_AD_PROTOCOL = 0;
    /** Offsets relative to the network header and to the link-layer header. */
    public static final int SKF_NET_OFF = -0x100000, SKF_LL_OFF = -0x200000;
    /** Scratch memory words. */
    public static final int MEMWORDS = 16;
    /** The largest program the kernel takes. */
    public static final int MAX_INSNS = 4096;
    /** Bytes of one {@code struct sock_filter}. */
    public static final int INSN_BYTES = 8;

    /**
     * One instruction.
     *
     * @param code opcode: class | size/operation | mode/source
     * @param jt   instructions skipped when a conditional jump is taken (0..255)
     * @param jf   instructions skipped when it is not (0..255)
     * @param k    the constant operand
     */
    public record Insn(int code, int jt, int jf, int k) {}

    /** An assembled program: immutable. */
    public static final class Program {
        private final Insn[] insns;

        private Program(Insn[] insns) {
            this.insns = insns;
        }

        /** @return the number of instructions. */
        public int size() {
            return insns.length;
        }

        /** @return instruction {@code i}. */
        public Insn insn(int i) {
            return insns[i];
        }

        /**
         * Lays the program out as {@code struct sock_fprog} (16 bytes: length, then a pointer) followed by its
         * {@code struct sock_filter} array, in {@code arena}.
         *
         * @return the {@code sock_fprog}, valid as long as the arena
         */
        public MemorySegment encode(Arena arena) {
            MemorySegment filter = arena.allocate((long) insns.length * INSN_BYTES, 8);
            for (int i = 0; i < insns.length; i++) {
                Insn in = insns[i];
                long o = (long) i * INSN_BYTES;
                filter.set(ValueLayout.JAVA_SHORT, o, (short) in.code());
                filter.set(ValueLayout.JAVA_BYTE, o + 2, (byte) in.jt());
                filter.set(ValueLayout.JAVA_BYTE, o + 3, (byte) in.jf());
                filter.set(ValueLayout.JAVA_INT, o + 4, in.k());
            }
            MemorySegment prog = arena.allocate(16, 8);
            prog.set(ValueLayout.JAVA_SHORT, 0, (short) insns.length);
            prog.set(ValueLayout.ADDRESS, 8, filter);
            return prog;
        }

        /** @return one instruction per line as {@code code jt jf k} in hex, as {@code bpf_asm -c} prints it. */
        @Override
        public String toString() {
            StringBuilder b = new StringBuilder();
            for (Insn in : insns) {
                b.append(String.format("{ 0x%02x, %d, %d, 0x%08x },%n", in.code(), in.jt(), in.jf(), in.k()));
            }
            return b.toString();
        }
    }

    /** A jump target; bound once, at or after every jump to it (cBPF jumps only forward). */
    public static final class Label {
        private int at = -1;
    }

    /** Writes a program instruction by instruction; labels are resolved by {@link #build()}. */
    public static final class Assembler {
        private final List<int[]> code = new ArrayList<>();
        /** Per instruction: the labels its jumps name (null for none). */
        private final List<Label[]> targets = new ArrayList<>();

        private Assembler emit(int op, int k) {
            code.add(new int[] {op, 0, 0, k});
            targets.add(null);
            return this;
        }

        /** A = the {@code size} ({@link #W}, {@link #H}, {@link #B}) bytes at packet offset {@code k}. */
        public Assembler ldAbs(int size, int k) {
            return emit(LD | size | ABS, k);
        }

        /** A = the {@code size} bytes at packet offset X + {@code k}. */
        public Assembler ldInd(int size, int k) {
            return emit(LD | size | IND, k);
        }

        /** A = {@code k}. */
        public Assembler ldImm(int k) {
            return emit(LD | W | IMM, k);
        }

        /** A = M[{@code i}]. */
        public Assembler ldMem(int i) {
            return emit(LD | W | MEM, checkMem(i));
        }

        /** A = the packet length. */
        public Assembler ldLen() {
            return emit(LD | W | LEN, 0);
        }

        /** X = {@code k}. */
        public Assembler ldxImm(int k) {
            return emit(LDX | W | IMM, k);
        }

        /** X = M[{@code i}]. */
        public Assembler ldxMem(int i) {
            return emit(LDX | W | MEM, checkMem(i));
        }

        /** X = 4 * (the byte at packet offset {@code k} &amp; 0xf): an IPv4 header length. */
        public Assembler ldxMsh(int k) {
            return emit(LDX | B | MSH, k);
        }

        /** M[{@code i}] = A. */
        public Assembler st(int i) {
            return emit(ST, checkMem(i));
        }

        /** M[{@code i}] = X. */
        public Assembler stx(int i) {
            return emit(STX, checkMem(i));
        }

        /** A = A {@code op} {@code k} (op: {@link #ADD} ... {@link #XOR}). */
        public Assembler alu(int op, int k) {
            if ((op == DIV || op == MOD) && k == 0) {
                throw new IllegalArgumentException("division by the constant 0");
            }
            return emit(ALU | op | K, k);
        }

        /** A = A {@code op} X. */
        public Assembler aluX(int op) {
            return emit(ALU | op | X, 0);
        }

        /** A = -A. */
        public Assembler neg() {
            return emit(ALU | NEG, 0);
        }

        /** X = A. */
        public Assembler tax() {
            return emit(MISC | TAX, 0);
        }

        /** A = X. */
        public Assembler txa() {
            return emit(MISC | TXA, 0);
        }

        /** Ends the program with {@code k}. */
        public Assembler ret(int k) {
            return emit(RET | K, k);
        }

        /** Ends the program with A. */
        public Assembler retA() {
            return emit(RET | A, 0);
        }

        /** Jumps to {@code target}. */
        public Assembler ja(Label target) {
            emit(JMP | JA, 0);
            targets.set(targets.size() - 1, new Label[] {target, null});
            return this;
        }

        /**
         * Jumps to {@code ifTrue} when A {@code op} {@code k} ({@link #JEQ}, {@link #JGT}, {@link #JGE},
         * {@link #JSET}) holds, else to {@code ifFalse}; null means the next instruction.
         */
        public Assembler jmp(int op, int k, Label ifTrue, Label ifFalse) {
            emit(JMP | op | K, k);
            targets.set(targets.size() - 1, new Label[] {ifTrue, ifFalse});
            return this;
        }

        /** Like {@link #jmp} with X as the operand. */
        public Assembler jmpX(int op, Label ifTrue, Label ifFalse) {
            emit(JMP | op | X, 0);
            targets.set(targets.size() - 1, new Label[] {ifTrue, ifFalse});
            return this;
        }

        /** Binds {@code label} to the next instruction. */
        public Assembler bind(Label label) {
            if (label.at >= 0) {
                throw new IllegalStateException("label bound twice");
            }
            label.at = code.size();
            return this;
        }

        /** @return the number of instructions so far. */
        public int size() {
            return code.size();
        }

        /**
         * @return the program, with jump offsets resolved
         * @throws IllegalStateException for an unbound label, a backward jump, a conditional jump farther than 255
         *                               instructions, no final return, or more than {@link #MAX_INSNS} instructions
         */
        public Program build() {
            int n = code.size();
            if (n == 0 || n > MAX_INSNS) {
                throw new IllegalStateException("a program has 1 to " + MAX_INSNS + " instructions, not " + n);
            }
            Insn[] out = new Insn[n];
            for (int i = 0; i < n; i++) {
                int[] c = code.get(i);
                Label[] t = targets.get(i);
                if (t == null) {
                    out[i] = new Insn(c[0], 0, 0, c[3]);
                } else if ((c[0] & 0xf0) == JA) {
                    out[i] = new Insn(c[0], 0, 0, offset(i, t[0], Integer.MAX_VALUE));
                } else {
                    out[i] = new Insn(c[0], offset(i, t[0], 255), offset(i, t[1], 255), c[3]);
                }
            }
            if ((out[n - 1].code() & 0x07) != RET) {
                throw new IllegalStateException("the program must end with a return"); // as the kernel's checker asks
            }
            return new Program(out);
        }

        private static int offset(int from, Label target, int max) {
            if (target == null) {
                return 0;
            }
            if (target.at < 0) {
                throw new IllegalStateException("unbound label");
            }
            int d = target.at - from - 1;
            if (d < 0 || d > max) {
                throw new IllegalStateException("jump from " + from + " to " + target.at + " out of range");
            }
            return d;
        }

        private static int checkMem(int i) {
            if (i < 0 || i >= MEMWORDS) {
                throw new IllegalArgumentException("scratch word " + i + " outside 0.." + (MEMWORDS - 1));
            }
            return i;
        }
    }
}
