package io.percore.core;

/**
 * The scheduling groups the core tests use. A process may define only {@link SchedulingGroup#MAX} groups and
 * every test class shares one JVM, so the tests share these few instead of creating their own.
 */
final class TestGroups {
    private TestGroups() {}

    /** A group for "which group does this run in" checks. */
    static final SchedulingGroup OTHER = SchedulingGroup.create("test-other", 1000);
    /** The light and heavy groups of the share tests (shares 1:3 unless a test changes them). */
    static final SchedulingGroup LIGHT = SchedulingGroup.create("test-light", 100);
    static final SchedulingGroup HEAVY = SchedulingGroup.create("test-heavy", 300);
}
