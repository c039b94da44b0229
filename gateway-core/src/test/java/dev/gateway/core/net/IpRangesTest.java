package dev.gateway.core.net;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Tyk's {@code allowed_ips} and {@code blacklisted_ips} entries: IP literals and CIDR ranges, IPv4 and IPv6. */
class IpRangesTest {

    private static InetSocketAddress client(String ip) throws UnknownHostException {
        return new InetSocketAddress(InetAddress.getByName(ip), 40000);
    }

    private static IpRanges ranges(String... entries) {
        return IpRanges.parse(List.of(entries));
    }

    @Test
    void singleIpv4AddressMatchesOnlyItself() throws Exception {
        IpRanges ranges = ranges("10.0.0.1");

        assertTrue(ranges.contains(client("10.0.0.1")));
        assertFalse(ranges.contains(client("10.0.0.2")));
        assertFalse(ranges.contains(client("11.0.0.1")));
    }

    @Test
    void cidrRangesMatchTheirPrefixOnly() throws Exception {
        assertTrue(ranges("10.0.0.0/8").contains(client("10.255.1.2")));
        assertFalse(ranges("10.0.0.0/8").contains(client("11.0.0.0")));
        assertTrue(ranges("192.168.7.0/24").contains(client("192.168.7.200")));
        assertFalse(ranges("192.168.7.0/24").contains(client("192.168.8.1")));
        assertTrue(ranges("127.0.0.1/32").contains(client("127.0.0.1")));
        assertFalse(ranges("127.0.0.1/32").contains(client("127.0.0.2")));
    }

    @Test
    void prefixThatEndsInsideAByteComparesOnlyItsBits() throws Exception {
        IpRanges ranges = ranges("10.1.2.0/23");

        assertTrue(ranges.contains(client("10.1.3.255")));
        assertFalse(ranges.contains(client("10.1.4.0")));
        assertFalse(ranges.contains(client("10.1.1.255")));
    }

    @Test
    void hostBitsSetInTheEntryAreIgnoredAsGoParseCidrDoes() throws Exception {
        assertTrue(ranges("10.1.2.3/24").contains(client("10.1.2.99")));
    }

    @Test
    void slashZeroMatchesEveryAddressOfItsFamilyOnly() throws Exception {
        IpRanges ipv4 = ranges("0.0.0.0/0");

        assertTrue(ipv4.contains(client("1.2.3.4")));
        assertTrue(ipv4.contains(client("255.255.255.255")));
        assertFalse(ipv4.contains(client("2001:db8::1")), "an IPv4 range never holds an IPv6 client");
        assertTrue(ranges("::/0").contains(client("2001:db8::1")));
    }

    @Test
    void ipv6CidrAndSingleAddressMatch() throws Exception {
        IpRanges ranges = ranges("2001:db8::/32", "::1");

        assertTrue(ranges.contains(client("2001:db8:1234::5")));
        assertFalse(ranges.contains(client("2001:db9::1")));
        assertTrue(ranges.contains(client("::1")));
        assertFalse(ranges.contains(client("::2")));
    }

    /** A dual-stack socket may see an IPv4 client as {@code ::ffff:10.0.0.1}; the JDK keeps that as IPv6 here. */
    @Test
    void ipv4MappedIpv6ClientMatchesIpv4Entries() throws Exception {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = 10;
        mapped[15] = 1;
        InetAddress address = Inet6Address.getByAddress(null, mapped, -1);

        assertTrue(address instanceof Inet6Address, "the test needs an IPv6 address object");
        assertTrue(ranges("10.0.0.0/8").contains(new InetSocketAddress(address, 40000)));
        assertFalse(ranges("11.0.0.0/8").contains(new InetSocketAddress(address, 40000)));
    }

    @Test
    void ipv4MappedEntryMatchesIpv4Clients() throws Exception {
        assertTrue(ranges("::ffff:10.0.0.1").contains(client("10.0.0.1")));
    }

    @Test
    void entriesAreTrimmed() throws Exception {
        assertTrue(ranges(" 10.0.0.0/8 ").contains(client("10.0.0.1")));
    }

    @Test
    void emptyListIsEmptyAndHoldsNoOne() throws Exception {
        IpRanges none = IpRanges.parse(List.of());

        assertTrue(none.isEmpty());
        assertFalse(none.contains(client("10.0.0.1")));
        assertFalse(ranges("10.0.0.0/8").isEmpty());
    }

    @Test
    void clientWithoutAnAddressIsInNoRange() {
        IpRanges everyone = ranges("0.0.0.0/0", "::/0");

        assertFalse(everyone.contains((InetSocketAddress) null));
        assertFalse(everyone.contains(InetSocketAddress.createUnresolved("10.0.0.1", 40000)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/33", "::/129", "host.example", "1.2.3", "", "10.0.0.0/", "10.0.0.0/-1",
            "10.0.0.0/8/8", "10.0.0.0/ 8", "256.0.0.1", "10.0.0.0/1000"})
    void malformedEntryIsRefusedNamingItsIndex(String entry) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ranges("10.0.0.1", "192.168.0.0/16", entry));

        assertTrue(e.getMessage().startsWith("entry 2, '" + entry.trim() + "'"), e.getMessage());
    }

    @Test
    void nullEntryIsRefusedNamingItsIndex() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IpRanges.parse(Arrays.asList("10.0.0.1", null)));

        assertTrue(e.getMessage().startsWith("entry 1, "), e.getMessage());
    }
}
