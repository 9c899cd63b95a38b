/**
 * {@code ./percore demo}: a short, self-checking tour of the runtime on every shard — see
 * {@link io.percore.apps.demo.DemoApp}.
 */
package io.percore.apps.demo;
