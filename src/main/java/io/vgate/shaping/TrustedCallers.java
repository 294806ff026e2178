package io.vgate.shaping;

import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.SocketAddress;
import io.vgate.api.ApiException;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Lets trusted callers set their request's priority class ({@value #PRIORITY_HEADER}) and, when enabled,
 * its tenant ({@value #TENANT_HEADER}). A caller is trusted when its TCP peer address is in
 * {@code vgate.shaping.trusted.cidrs}; from anyone else the headers are ignored. The list is empty by
 * default, so in a default deployment only API keys (the auth step) decide priority and tenant.
 * <p>
 * It decides nothing on its own: {@link #claims} returns what the caller asked for, and the data path
 * combines it with what authentication decided.
 */
@Singleton
public class TrustedCallers {

    /** Request header naming the priority class, e.g. {@code batch}. */
    static final String PRIORITY_HEADER = "X-Vgate-Priority";
    /** Request header naming the tenant to queue under. */
    static final String TENANT_HEADER = "X-Vgate-Tenant";

    private static final int MAX_TENANT_LENGTH = 128;

    private final IpSubnetFilterRule[] networks;
    private final boolean tenantHeader;
    private final PriorityClasses classes;

    /**
     * What a trusted caller asked for with the headers.
     *
     * @param priority the priority class it named, or {@code null}
     * @param tenant the tenant it named, or {@code null}
     */
    public record Claims(String priority, String tenant) {

        /** Nothing claimed: what authentication decided stands. */
        public static final Claims NONE = new Claims(null, null);
    }

    @Inject
    public TrustedCallers(ShapingConfig config, PriorityClasses classes) {
        this(config.trusted().cidrs().orElse(List.of()), config.trusted().tenantHeader(), classes);
    }

    TrustedCallers(List<String> cidrs, boolean tenantHeader, PriorityClasses classes) {
        this.networks = cidrs.stream()
                .map(String::trim)
                .filter(cidr -> !cidr.isEmpty())
                .map(TrustedCallers::network)
                .toArray(IpSubnetFilterRule[]::new);
        this.tenantHeader = tenantHeader;
        this.classes = classes;
    }

    /**
     * What the request's headers claim, when its peer is trusted; {@link Claims#NONE} otherwise. Fails with
     * a 400 {@link ApiException} when a trusted caller names a priority class that is not configured.
     */
    public Claims claims(HttpServerRequest request) {
        if (networks.length == 0) {
            return Claims.NONE;
        }
        var headers = request.headers();
        String priority = headers.get(PRIORITY_HEADER);
        String tenant = tenantHeader ? headers.get(TENANT_HEADER) : null;
        if ((priority == null && tenant == null)
                || !trusted(request.connection().remoteAddress())) {
            return Claims.NONE;
        }
        if (priority != null) {
            priority = priority.trim();
            if (!classes.known(priority)) {
                throw new ApiException(ShapingErrors.invalidPriority(
                        priority.length() > 32 ? priority.substring(0, 32) + "..." : priority));
            }
        }
        if (tenant != null) {
            tenant = tenant.isBlank() ? null : tenant.trim();
            if (tenant != null && tenant.length() > MAX_TENANT_LENGTH) {
                tenant = tenant.substring(0, MAX_TENANT_LENGTH);
            }
        }
        return new Claims(priority, tenant);
    }

    boolean trusted(SocketAddress peer) {
        String host = peer == null ? null : peer.hostAddress();
        if (host == null || host.isEmpty()) {
            return false;
        }
        InetSocketAddress address;
        try {
            // An IP literal: no name lookup happens.
            address = new InetSocketAddress(InetAddress.getByName(host), peer.port());
        } catch (UnknownHostException e) {
            return false;
        }
        for (IpSubnetFilterRule network : networks) {
            if (network.matches(address)) {
                return true;
            }
        }
        return false;
    }

    private static IpSubnetFilterRule network(String cidr) {
        try {
            String spec = cidr.contains("/") ? cidr : cidr + (cidr.contains(":") ? "/128" : "/32");
            return new IpSubnetFilterRule(spec, IpFilterRuleType.ACCEPT);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    "vgate.shaping.trusted.cidrs: '" + cidr + "' is not a CIDR such as 10.0.0.0/8", e);
        }
    }
}
