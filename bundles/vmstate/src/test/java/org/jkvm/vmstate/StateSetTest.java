package org.jkvm.vmstate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class StateSetTest {
    /** A counter device: version 2 added {@code step}; version 1 streams are still read (step = 1). */
    static final class Counter implements Stateful<Counter.State> {
        record State(long value, int step) {
        }

        final String name;
        final int instance;
        State state = new State(0, 1);

        Counter(String name, int instance) {
            this.name = name;
            this.instance = instance;
        }

        @Override
        public String stateName() {
            return name;
        }

        @Override
        public int stateInstance() {
            return instance;
        }

        @Override
        public int stateVersion() {
            return 2;
        }

        @Override
        public int stateMinVersion() {
            return 1;
        }

        @Override
        public State saveState() {
            return state;
        }

        @Override
        public void restoreState(State s) {
            state = s;
        }

        @Override
        public void encode(State s, StateWriter out) {
            out.u64(s.value()).u32(s.step());
        }

        @Override
        public State decode(StateReader in, int version) {
            long value = in.u64();
            int step = version >= 2 ? in.u32() : 1;
            if (step < 1 || step > 100) {
                throw in.corrupt("step " + step + " is outside 1..100");
            }
            in.expectEnd();
            return new State(value, step);
        }
    }

    @Test
    void savesAndRestoresAllComponents() {
        Counter a = new Counter("counter", 0);
        Counter b = new Counter("counter", 1);
        a.state = new Counter.State(41, 3);
        b.state = new Counter.State(7, 2);
        List<StateSection> saved = StateSet.of(List.of(a, b)).save();
        Counter a2 = new Counter("counter", 0);
        Counter b2 = new Counter("counter", 1);
        StateSet.of(List.of(a2, b2)).restore(saved);
        assertEquals(a.state, a2.state);
        assertEquals(b.state, b2.state);
    }

    @Test
    void readsTheOlderVersionAndRefusesANewerOne() {
        Counter c = new Counter("counter", 0);
        c.decodeSection(new StateSection("counter", 0, 1, new StateWriter().u64(5).toByteArray()));
        StateSection v3 = new StateSection("counter", 0, 3, new byte[12]);
        VmStateException e = assertThrows(VmStateException.class, () -> c.decodeSection(v3));
        assertTrue(e.getMessage().contains("version 3") && e.getMessage().contains("1 to 2"), e.getMessage());
    }

    @Test
    void nothingIsRestoredWhenOneSectionIsBad() {
        Counter a = new Counter("counter", 0);
        Counter b = new Counter("counter", 1);
        StateSection good = new StateSection("counter", 0, 2, new StateWriter().u64(99).u32(1).toByteArray());
        StateSection bad = new StateSection("counter", 1, 2, new StateWriter().u64(1).u32(500).toByteArray());
        VmStateException e = assertThrows(VmStateException.class,
                () -> StateSet.of(List.of(a, b)).restore(List.of(good, bad)));
        assertTrue(e.getMessage().contains("counter#1") && e.getMessage().contains("step 500"), e.getMessage());
        assertEquals(0, a.state.value(), "the good section must not be applied either");
    }

    @Test
    void unknownRepeatedAndMissingSectionsAreNamed() {
        Counter a = new Counter("counter", 0);
        StateSet set = StateSet.of(List.of(a));
        StateSection ok = a.saveSection();
        StateSection other = new StateSection("rtc", 0, 1, new byte[0]);
        assertTrue(assertThrows(VmStateException.class, () -> set.restore(List.of(ok, other))).getMessage()
                .contains("rtc#0"));
        assertTrue(assertThrows(VmStateException.class, () -> set.restore(List.of(ok, ok))).getMessage()
                .contains("twice"));
        assertTrue(assertThrows(VmStateException.class, () -> set.restore(List.of())).getMessage()
                .contains("no state section for counter#0"));
        assertThrows(VmStateException.class, () -> StateSet.of(List.of(a, new Counter("counter", 0))));
    }

    @Test
    void flushHooksRunInOrderAndNameTheFailingDevice() {
        BlockFlushHooks hooks = new BlockFlushHooks();
        List<String> order = new ArrayList<>();
        hooks.register("disk-b", () -> order.add("b"));
        hooks.register("disk-a", () -> order.add("a"));
        hooks.flushAll();
        assertEquals(List.of("a", "b"), order);
        assertEquals(1, hooks.flushCount("disk-a"));
        hooks.register("disk-c", () -> {
            throw new IOException("EIO");
        });
        VmStateException e = assertThrows(VmStateException.class, hooks::flushAll);
        assertTrue(e.getMessage().contains("disk-c") && e.getMessage().contains("EIO"), e.getMessage());
        assertThrows(VmStateException.class, () -> hooks.register("disk-a", () -> { }));
    }
}
