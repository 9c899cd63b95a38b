/**
 * The programs {@code ./percore} runs. {@link io.percore.apps.Main} picks one by name ({@code ./percore demo});
 * each program is a small class built on {@link io.percore.app.AppTemplate}, so all of them share the same
 * command-line options, logging and stop behaviour. Today: {@code demo}; httpd, memcached and io_tester follow.
 */
package io.percore.apps;
