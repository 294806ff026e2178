package io.vgate.ratelimit;

import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.netty.util.NetUtil;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Who the client is, as far as limits are concerned.
 * <p>
 * The client is the socket peer, unless the peer is one of the trusted proxies: then it is the right-most
 * {@code X-Forwarded-For} address that is not itself a trusted proxy. Walking from the right means only
 * entries added by trusted hops are believed: what a client writes into its own {@code X-Forwarded-For}
 * sits further left and is never reached, and a client that is not behind a trusted proxy cannot change
 * its identity with the header at all. An entry that is not an IP address ends the walk at the last
 * trusted hop, so garbage never creates new identities.
 * <p>
 * Quarkus's own {@code quarkus.http.proxy.*} forwarding must stay off: it would rewrite the peer address
 * before vgate sees it.
 */
final class ClientAddresses {

    private static final String X_FORWARDED_FOR = "X-Forwarded-For";

    private final IpSubnetFilterRule[] trusted;
    private final int ipv6PrefixLength;

    ClientAddresses(List<String> trustedProxies, int ipv6PrefixLength) {
        if (ipv6PrefixLength < 1 || ipv6PrefixLength > 128) {
            throw new IllegalArgumentException("vgate.rate-limit.per-ip.ipv6-prefix-length must be 1..128");
        }
        this.ipv6PrefixLength = ipv6PrefixLength;
        List<IpSubnetFilterRule> rules = new ArrayList<>();
        for (String cidr : trustedProxies) {
            rules.add(parseCidr(cidr.trim()));
        }
        this.trusted = rules.toArray(IpSubnetFilterRule[]::new);
    }

    /** The client's address, in the canonical text form of {@link InetAddress#getHostAddress()}. */
    String resolve(HttpServerRequest request) {
        SocketAddress peer = request.remoteAddress();
        String peerAddress = peer == null ? null : peer.hostAddress();
        if (peerAddress == null) {
            return "unknown";
        }
        if (trusted.length == 0) {
            return peerAddress;
        }
        InetAddress hop = NetUtil.createInetAddressFromIpAddressString(peerAddress);
        if (hop == null || !isTrusted(hop)) {
            return peerAddress;
        }
        List<String> headers = request.headers().getAll(X_FORWARDED_FOR);
        for (int h = headers.size() - 1; h >= 0; h--) {
            String header = headers.get(h);
            int end = header.length();
            while (end > 0) {
                int comma = header.lastIndexOf(',', end - 1);
                InetAddress entry = parse(header.substring(comma + 1, end));
                if (entry == null) {
                    return hop.getHostAddress();
                }
                hop = entry;
                if (!isTrusted(entry)) {
                    return entry.getHostAddress();
                }
                end = comma < 0 ? 0 : comma;
            }
        }
        // Every hop was a trusted proxy: the left-most one is where the request came from.
        return hop.getHostAddress();
    }

    /**
     * The identity a client address is limited under: the address itself, or for IPv6 its network of
     * {@code vgate.rate-limit.per-ip.ipv6-prefix-length} bits.
     */
    String bucketIdentity(String address) {
        if (ipv6PrefixLength == 128 || address.indexOf(':') < 0) {
            return address;
        }
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(address);
        if (bytes == null || bytes.length != 16) {
            return address;
        }
        for (int bit = ipv6PrefixLength; bit < 128; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        try {
            return Inet6Address.getByAddress(null, bytes).getHostAddress() + "/" + ipv6PrefixLength;
        } catch (java.net.UnknownHostException e) {
            return address;
        }
    }

    private boolean isTrusted(InetAddress address) {
        var socket = new InetSocketAddress(address, 0);
        for (IpSubnetFilterRule rule : trusted) {
            if (rule.matches(socket)) {
                return true;
            }
        }
        return false;
    }

    /** An IP literal (IPv6 possibly in brackets), or {@code null}; never a DNS lookup. */
    private static InetAddress parse(String entry) {
        String text = entry.trim();
        if (text.length() > 2 && text.charAt(0) == '[' && text.charAt(text.length() - 1) == ']') {
            text = text.substring(1, text.length() - 1);
        }
        return text.isEmpty() ? null : NetUtil.createInetAddressFromIpAddressString(text);
    }

    private static IpSubnetFilterRule parseCidr(String cidr) {
        int slash = cidr.indexOf('/');
        String address = slash < 0 ? cidr : cidr.substring(0, slash);
        InetAddress parsed = NetUtil.createInetAddressFromIpAddressString(address);
        if (parsed == null) {
            throw new IllegalArgumentException(
                    "vgate.rate-limit.trusted-proxies: '" + cidr + "' is not an address or CIDR");
        }
        int maxPrefix = parsed.getAddress().length * 8;
        int prefix;
        try {
            prefix = slash < 0 ? maxPrefix : Integer.parseInt(cidr.substring(slash + 1));
        } catch (NumberFormatException e) {
            prefix = -1;
        }
        if (prefix < 0 || prefix > maxPrefix) {
            throw new IllegalArgumentException(
                    "vgate.rate-limit.trusted-proxies: '" + cidr + "' has an invalid prefix");
        }
        return new IpSubnetFilterRule(parsed, prefix, IpFilterRuleType.ACCEPT);
    }
}
