/**
 * Test support shared through gateway-core's test-jar: the committed test certificates ({@link
 * dev.gateway.core.testing.TestCerts}) and the ByteBuf leak check every test runs under ({@link
 * dev.gateway.core.testing.LeakWatch}).
 */
package dev.gateway.core.testing;
