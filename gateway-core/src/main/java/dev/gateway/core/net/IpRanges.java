package dev.gateway.core.net;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A list of IP addresses and CIDR ranges, as Tyk's {@code allowed_ips} and {@code blacklisted_ips} write them
 * ({@code 10.0.0.1}, {@code 10.0.0.0/8}, {@code 2001:db8::/32}), parsed once at load. Only literals are read: a
 * host name would need DNS, which never runs at load on behalf of a list. An IPv4 client that arrives as an
 * IPv4-mapped IPv6 address ({@code ::ffff:10.0.0.1}, a dual-stack socket's view) matches the IPv4 entries.
 */
public final class IpRanges {

    private static final int IPV4_BYTES = 4;
    private static final int IPV6_BYTES = 16;
    private static final int IPV4_MAPPED_PREFIX = 12;

    /** One entry: the network's bytes and how many leading bits count. */
    private record Range(byte[] network, int prefixBits) {
        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            int whole = prefixBits / 8;
            for (int i = 0; i < whole; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefixBits % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xff << (8 - rest)) & 0xff;
            return (address[whole] & mask) == (network[whole] & mask);
        }
    }

    private final Range[] ranges;

    private IpRanges(Range[] ranges) {
        this.ranges = ranges;
    }

    /**
     * Parses {@code entries}.
     *
     * @throws IllegalArgumentException naming the first entry that is neither an IP literal nor a CIDR range, with
     *     its index
     */
    public static IpRanges parse(List<String> entries) {
        List<Range> parsed = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            String entry = entries.get(i) == null ? "" : entries.get(i).trim();
            Range range = range(entry);
            if (range == null) {
                throw new IllegalArgumentException("entry " + i + ", '" + entry
                        + "', is neither an IP address nor a CIDR range such as 10.0.0.0/8");
            }
            parsed.add(range);
        }
        return new IpRanges(parsed.toArray(Range[]::new));
    }

    private static Range range(String entry) {
        int slash = entry.indexOf('/');
        String ip = slash < 0 ? entry : entry.substring(0, slash);
        byte[] network = NetUtil.createByteArrayFromIpAddressString(ip);
        if (network == null) {
            return null;
        }
        network = unmapped(network);
        int max = network.length * 8;
        if (slash < 0) {
            return new Range(network, max);
        }
        String bits = entry.substring(slash + 1);
        if (bits.isEmpty() || bits.length() > 3 || !bits.chars().allMatch(Character::isDigit)) {
            return null;
        }
        int prefix = Integer.parseInt(bits);
        return prefix > max ? null : new Range(network, prefix);
    }

    /** An IPv4-mapped IPv6 address as its four IPv4 bytes; any other address as it is. */
    private static byte[] unmapped(byte[] address) {
        if (address.length != IPV6_BYTES) {
            return address;
        }
        for (int i = 0; i < 10; i++) {
            if (address[i] != 0) {
                return address;
            }
        }
        if (address[10] != (byte) 0xff || address[11] != (byte) 0xff) {
            return address;
        }
        byte[] v4 = new byte[IPV4_BYTES];
        System.arraycopy(address, IPV4_MAPPED_PREFIX, v4, 0, IPV4_BYTES);
        return v4;
    }

    public boolean isEmpty() {
        return ranges.length == 0;
    }

    /** Whether {@code client}'s address lies in one of the ranges; false for an unresolved or missing address. */
    public boolean contains(InetSocketAddress client) {
        if (client == null || client.getAddress() == null) {
            return false;
        }
        return contains(client.getAddress());
    }

    public boolean contains(InetAddress address) {
        byte[] bytes = unmapped(address.getAddress());
        for (Range range : ranges) {
            if (range.contains(bytes)) {
                return true;
            }
        }
        return false;
    }
}
