package io.percore.sys;

import static io.percore.sys.ClassicBpf.A;
import static io.percore.sys.ClassicBpf.ABS;
import static io.percore.sys.ClassicBpf.ALU;
import static io.percore.sys.ClassicBpf.B;
import static io.percore.sys.ClassicBpf.H;
import static io.percore.sys.ClassicBpf.IMM;
import static io.percore.sys.ClassicBpf.IND;
import static io.percore.sys.ClassicBpf.JMP;
import static io.percore.sys.ClassicBpf.LD;
import static io.percore.sys.ClassicBpf.LDX;
import static io.percore.sys.ClassicBpf.LEN;
import static io.percore.sys.ClassicBpf.MEM;
import static io.percore.sys.ClassicBpf.MISC;
import static io.percore.sys.ClassicBpf.MSH;
import static io.percore.sys.ClassicBpf.RET;
import static io.percore.sys.ClassicBpf.ST;
import static io.percore.sys.ClassicBpf.STX;
import static io.percore.sys.ClassicBpf.W;
import static io.percore.sys.ClassicBpf.X;

/**
 * A classic BPF interpreter for tests, with the kernel's semantics for a fanout program on a received Ethernet frame:
 * the packet data starts at the network header (the kernel pulled the Ethernet header, and a VLAN tag into the
 * metadata), {@code SKF_AD_PROTOCOL} is the (inner) Ethernet type, {@code SKF_NET_OFF} / {@code SKF_LL_OFF} offsets
 * are relative to the network / Ethernet header, a load outside the packet or a division by X = 0 ends the program
 * with 0, and arithmetic is unsigned 32-bit. It refuses what the kernel's checker refuses that matters here: reads
 * of scratch memory before any write on the path, and programs that do not end with a return.
 */
public final class ClassicBpfInterpreter {
    private ClassicBpfInterpreter() {}

    /** @return what {@code program} returns for the Ethernet frame {@code frame}. */
    public static int run(ClassicBpf.Program program, byte[] frame) {
        if (frame.length < 14) {
            return 0; // the kernel never shows a fanout program such a frame; treat it as unreadable
        }
        int type = u16(frame, 12);
        int net = 14;
        if ((type == 0x8100 || type == 0x88a8) && frame.length >= 18) {
            type = u16(frame, 16); // the receive path moves the tag into the metadata
            net = 18;
        }
        int n = program.size();
        if ((program.insn(n - 1).code() & 0x07) != RET) {
            throw new IllegalArgumentException("the kernel refuses a program that does not end with a return");
        }
        int a = 0, x = 0;
        int[] mem = new int[ClassicBpf.MEMWORDS];
        boolean[] written = new boolean[ClassicBpf.MEMWORDS];
        for (int pc = 0; pc < n; pc++) {
            ClassicBpf.Insn in = program.insn(pc);
            int code = in.code(), k = in.k();
            switch (code & 0x07) {
                case LD -> {
                    switch (code & 0xe0) {
                        case IMM -> a = k;
                        case LEN -> a = frame.length - net;
                        case MEM -> a = read(mem, written, k);
                        case ABS, IND -> {
                            long off = (code & 0xe0) == IND ? (long) k + x : k;
                            Long v = load(frame, net, type, off, code & 0x18);
                            if (v == null) {
                                return 0;
                            }
                            a = (int) (long) v;
                        }
                        default -> throw new IllegalArgumentException("bad LD mode in " + in);
                    }
                }
                case LDX -> {
                    switch (code & 0xe0) {
                        case IMM -> x = k;
                        case LEN -> x = frame.length - net;
                        case MEM -> x = read(mem, written, k);
                        case MSH -> {
                            Long v = load(frame, net, type, k, B);
                            if (v == null) {
                                return 0;
                            }
                            x = (int) ((v & 0xf) * 4);
                        }
                        default -> throw new IllegalArgumentException("bad LDX mode in " + in);
                    }
                }
                case ST -> {
                    mem[k] = a;
                    written[k] = true;
                }
                case STX -> {
                    mem[k] = x;
                    written[k] = true;
                }
                case ALU -> {
                    int v = (code & X) != 0 ? x : k;
                    switch (code & 0xf0) {
                        case ClassicBpf.ADD -> a += v;
                        case ClassicBpf.SUB -> a -= v;
                        case ClassicBpf.MUL -> a *= v;
                        case ClassicBpf.DIV -> {
                            if (v == 0) {
                                return 0;
                            }
                            a = Integer.divideUnsigned(a, v);
                        }
                        case ClassicBpf.MOD -> {
                            if (v == 0) {
                                return 0;
                            }
                            a = Integer.remainderUnsigned(a, v);
                        }
                        case ClassicBpf.OR -> a |= v;
                        case ClassicBpf.AND -> a &= v;
                        case ClassicBpf.XOR -> a ^= v;
                        case ClassicBpf.LSH -> a = (v & 0xff) >= 32 ? 0 : a << v;
                        case ClassicBpf.RSH -> a = (v & 0xff) >= 32 ? 0 : a >>> v;
                        case ClassicBpf.NEG -> a = -a;
                        default -> throw new IllegalArgumentException("bad ALU op in " + in);
                    }
                }
                case JMP -> {
                    if ((code & 0xf0) == ClassicBpf.JA) {
                        pc += k;
                        continue;
                    }
                    int v = (code & X) != 0 ? x : k;
                    boolean taken = switch (code & 0xf0) {
                        case ClassicBpf.JEQ -> a == v;
                        case ClassicBpf.JGT -> Integer.compareUnsigned(a, v) > 0;
                        case ClassicBpf.JGE -> Integer.compareUnsigned(a, v) >= 0;
                        case ClassicBpf.JSET -> (a & v) != 0;
                        default -> throw new IllegalArgumentException("bad JMP op in " + in);
                    };
                    pc += taken ? in.jt() : in.jf();
                }
                case RET -> {
                    return (code & 0x18) == A ? a : k;
                }
                case MISC -> {
                    if ((code & 0xf8) == ClassicBpf.TAX) {
                        x = a;
                    } else {
                        a = x;
                    }
                }
                default -> throw new IllegalArgumentException("bad class in " + in);
            }
        }
        throw new IllegalStateException("ran off the end of the program");
    }

    private static int read(int[] mem, boolean[] written, int k) {
        if (!written[k]) {
            throw new IllegalStateException("M[" + k + "] read before any write: the kernel's checker refuses this");
        }
        return mem[k];
    }

    /** @return the big-endian value of {@code size} at {@code off}, or null when it is outside the packet. */
    private static Long load(byte[] frame, int net, int type, long off, int size) {
        int len = size == W ? 4 : size == H ? 2 : 1;
        long at;
        if (off >= 0) {
            at = net + off;
        } else if (off == ClassicBpf.SKF_AD_OFF + ClassicBpf.SKF_AD_PROTOCOL) {
            return (long) type;
        } else if (off >= ClassicBpf.SKF_NET_OFF && off < ClassicBpf.SKF_AD_OFF) {
            at = net + off - ClassicBpf.SKF_NET_OFF;
        } else if (off >= ClassicBpf.SKF_LL_OFF && off < ClassicBpf.SKF_NET_OFF) {
            at = off - ClassicBpf.SKF_LL_OFF;
        } else {
            return null;
        }
        if (at < net && off >= 0 || at < 0 || at + len > frame.length) {
            return null;
        }
        long v = 0;
        for (int i = 0; i < len; i++) {
            v = (v << 8) | (frame[(int) at + i] & 0xff);
        }
        return v;
    }

    private static int u16(byte[] b, int o) {
        return (b[o] & 0xff) << 8 | (b[o + 1] & 0xff);
    }
}
