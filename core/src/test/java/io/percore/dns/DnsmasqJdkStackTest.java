package io.percore.dns;

import io.percore.net.NetworkStack;

/**
 * The dnsmasq suite over the test-only {@link JdkTestStack} (JDK sockets on helper threads): checks the codec and
 * resolver against a real server today, whatever percore stack exists.
 */
class DnsmasqJdkStackTest extends DnsmasqSuite {
    @Override
    String stackUnavailable() {
        return null; // always available: it is the JDK
    }

    @Override
    NetworkStack newStack() {
        return new JdkTestStack();
    }

    @Override
    void closeStack(NetworkStack stack) {
        ((JdkTestStack) stack).close();
    }
}
