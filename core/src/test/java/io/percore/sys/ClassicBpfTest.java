package io.percore.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class ClassicBpfTest {
    @Test
    void encodesSockFilterAndSockFprog() {
        ClassicBpf.Label yes = new ClassicBpf.Label();
        ClassicBpf.Program p = new ClassicBpf.Assembler()
                .ldAbs(ClassicBpf.H, ClassicBpf.SKF_AD_OFF + ClassicBpf.SKF_AD_PROTOCOL)
                .jmp(ClassicBpf.JEQ, 0x0800, yes, null)
                .ret(0)
                .bind(yes)
                .ret(7)
                .build();
        assertEquals(4, p.size());
        // As tcpdump -dd / bpf_asm -c print "ldh proto; jeq #0x800, L1; ret #0; L1: ret #7".
        assertEquals(new ClassicBpf.Insn(0x28, 0, 0, 0xfffff000), p.insn(0));
        assertEquals(new ClassicBpf.Insn(0x15, 1, 0, 0x800), p.insn(1));
        assertEquals(new ClassicBpf.Insn(0x06, 0, 0, 0), p.insn(2));
        assertEquals(new ClassicBpf.Insn(0x06, 0, 0, 7), p.insn(3));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fprog = p.encode(arena);
            assertEquals(16, fprog.byteSize());
            assertEquals(4, fprog.get(ValueLayout.JAVA_SHORT, 0));
            MemorySegment filter = fprog.get(ValueLayout.ADDRESS, 8).reinterpret(32);
            assertEquals(0x15, filter.get(ValueLayout.JAVA_SHORT, 8));
            assertEquals(1, filter.get(ValueLayout.JAVA_BYTE, 10));
            assertEquals(0, filter.get(ValueLayout.JAVA_BYTE, 11));
            assertEquals(0x800, filter.get(ValueLayout.JAVA_INT, 12));
            assertEquals(7, filter.get(ValueLayout.JAVA_INT, 28));
        }
    }

    @Test
    void resolvesBothJumpTargetsAndUnconditionalJumps() {
        ClassicBpf.Label t = new ClassicBpf.Label(), f = new ClassicBpf.Label(), end = new ClassicBpf.Label();
        ClassicBpf.Program p = new ClassicBpf.Assembler()
                .ldImm(5)                                    // 0
                .jmp(ClassicBpf.JGT, 3, t, f)                // 1
                .ret(1)                                      // 2 (never)
                .bind(f).ldImm(0).ja(end)                    // 3, 4
                .bind(t).alu(ClassicBpf.MUL, 3)              // 5
                .bind(end).retA()                            // 6
                .build();
        assertEquals(3, p.insn(1).jt());
        assertEquals(1, p.insn(1).jf());
        assertEquals(1, p.insn(4).k());
        assertEquals(15, ClassicBpfInterpreter.run(p, new byte[60]));
    }

    @Test
    void refusesWhatTheKernelWouldRefuse() {
        ClassicBpf.Label back = new ClassicBpf.Label();
        assertThrows(IllegalStateException.class, () -> new ClassicBpf.Assembler().ldImm(1).build(), "no return");
        assertThrows(IllegalStateException.class, () -> new ClassicBpf.Assembler()
                .jmp(ClassicBpf.JEQ, 1, new ClassicBpf.Label(), null).ret(0).build(), "unbound label");
        assertThrows(IllegalStateException.class, () -> new ClassicBpf.Assembler()
                .bind(back).ldImm(0).jmp(ClassicBpf.JEQ, 1, back, null).ret(0).build(), "backward jump");
        ClassicBpf.Label far = new ClassicBpf.Label();
        ClassicBpf.Assembler a = new ClassicBpf.Assembler().jmp(ClassicBpf.JEQ, 1, far, null);
        for (int i = 0; i < 256; i++) {
            a.ldImm(i);
        }
        assertThrows(IllegalStateException.class, () -> a.bind(far).ret(0).build(), "conditional jump over 255");
        assertThrows(IllegalArgumentException.class, () -> new ClassicBpf.Assembler().st(16));
        assertThrows(IllegalArgumentException.class, () -> new ClassicBpf.Assembler().alu(ClassicBpf.MOD, 0));
        assertThrows(IllegalStateException.class, () -> new ClassicBpf.Assembler().build());
    }

    @Test
    void interpreterFollowsTheKernelOnLoadsOutsideThePacketAndUnsignedArithmetic() {
        byte[] frame = new byte[14 + 20];
        frame[12] = 0x08;
        frame[14] = 0x45;
        frame[14 + 19] = (byte) 0xfe;
        ClassicBpf.Program last = new ClassicBpf.Assembler().ldAbs(ClassicBpf.B, 19).retA().build();
        assertEquals(0xfe, ClassicBpfInterpreter.run(last, frame), "offset 0 is the network header");
        ClassicBpf.Program past = new ClassicBpf.Assembler().ldAbs(ClassicBpf.H, 19).ret(9).build();
        assertEquals(0, ClassicBpfInterpreter.run(past, frame), "a load past the end returns 0");
        ClassicBpf.Program ihl = new ClassicBpf.Assembler().ldxMsh(0).txa().retA().build();
        assertEquals(20, ClassicBpfInterpreter.run(ihl, frame));
        ClassicBpf.Program mod = new ClassicBpf.Assembler().ldImm(-1).alu(ClassicBpf.MOD, 10).retA().build();
        assertEquals(Integer.remainderUnsigned(-1, 10), ClassicBpfInterpreter.run(mod, frame));
        ClassicBpf.Program rsh = new ClassicBpf.Assembler().ldImm(0x80000000).alu(ClassicBpf.RSH, 31).retA().build();
        assertEquals(1, ClassicBpfInterpreter.run(rsh, frame), "shifts are logical");
        ClassicBpf.Program unwritten = new ClassicBpf.Assembler().ldMem(3).retA().build();
        assertThrows(IllegalStateException.class, () -> ClassicBpfInterpreter.run(unwritten, frame));
    }
}
