/**
 * Test support shared through gateway-core's test-jar, for every module's tests: the committed test certificates
 * ({@link dev.gateway.core.testing.TestCerts}) and JDK TLS contexts made from them ({@link
 * dev.gateway.core.testing.TestTls}), the ByteBuf leak check every test runs under ({@link
 * dev.gateway.core.testing.LeakWatch}), a configuration folder on disk ({@link dev.gateway.core.testing.ConfFolder}),
 * a captured log ({@link dev.gateway.core.testing.CapturedLog}), a real {@code redis-server} ({@link
 * dev.gateway.core.testing.RedisServer}), free ports and the closer that ends what a test started.
 */
package dev.gateway.core.testing;
