package io.vgate.testing;

import io.restassured.RestAssured;
import io.restassured.specification.RequestSpecification;
import java.net.URI;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * Quarkus's management interface (health and metrics, {@code /q/*}) in {@code @QuarkusTest}s: its own port,
 * a free one in tests ({@code %test.quarkus.management.test-port=0}), never the API port that RestAssured's
 * default {@code given()} reaches.
 */
public final class Management {

    private Management() {}

    /** The management interface's base URI, e.g. {@code http://localhost:41234}; paths keep their {@code /q}. */
    public static URI uri() {
        // test.management.url resolves quarkus.management.test-port, which holds the bound port once the
        // application has started; it ends in the management root path (/q).
        URI url = URI.create(ConfigProvider.getConfig().getValue("test.management.url", String.class));
        if (url.getPort() <= 0) {
            throw new IllegalStateException("no management port in " + url
                    + ": a @QuarkusIntegrationTest must choose one (quarkus.management.port) and use it itself");
        }
        return URI.create(url.getScheme() + "://" + url.getHost() + ":" + url.getPort());
    }

    /** The management interface's URI for a path such as {@code /q/metrics}. */
    public static URI uri(String path) {
        return uri().resolve(path);
    }

    /** A RestAssured request to the management interface: {@code Management.given().get("/q/metrics")}. */
    public static RequestSpecification given() {
        URI base = uri();
        return RestAssured.given()
                .baseUri(base.getScheme() + "://" + base.getHost())
                .port(base.getPort());
    }
}
