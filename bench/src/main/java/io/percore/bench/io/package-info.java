/**
 * {@code ./percore bench io}: io_tester measured beside fio on the same file, with the same parameters, in one run.
 * See {@link io.percore.bench.io.IoBench}.
 */
package io.percore.bench.io;
