package io.vgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vgate.testing.Management;
import io.vgate.testing.RawHttp;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Health and metrics live on the management interface only. The API port, the one the Service and the
 * Ingress publish, answers 404 for {@code /q/*} however the path is spelled (encoded dots, dot segments,
 * doubled slashes), so no client can read metrics or health through it.
 */
@QuarkusTest
class ManagementPortTests {

    @TestHTTPResource("/")
    URI api;

    @Test
    void healthAndMetricsAnswerOnTheManagementPort() {
        assertThat(Management.uri().getPort()).as("a port of its own").isNotEqualTo(api.getPort());
        Management.given().get("/q/health/live").then().statusCode(200);
        Management.given().get("/q/health/ready").then().statusCode(200);
        assertThat(Management.given()
                        .get("/q/metrics")
                        .then()
                        .statusCode(200)
                        .extract()
                        .asString())
                .contains("vgate_");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/q/metrics",
                "/q/health",
                "/q/health/ready",
                "//q/metrics",
                "/q/../q/metrics",
                "/q/./metrics",
                "/x/../q/metrics",
                "/%71/metrics",
                "/q%2fmetrics",
                "/q%2Fmetrics",
                "/%2e/q/metrics",
                "/v1/../q/metrics",
                "/v1/%2e%2e/q/metrics",
                "/v1/%2E%2E/q/metrics",
                "/v1/..%2fq/metrics",
                "/ui/../q/metrics",
                "/q/metrics/",
                "/Q/metrics",
                "/q/metrics?format=text",
                "/q/metrics;x=1"
            })
    void apiPortAnswers404ForQPathsHoweverWritten(String path) throws Exception {
        RawHttp.Response response =
                RawHttp.exchange(api.getPort(), "127.0.0.1", RawHttp.request("GET", path, List.of(), null));
        assertThat(response.status()).as("GET " + path + " on the API port").isEqualTo(404);
        assertThat(response.body())
                .as("no metrics or health through the API port")
                .doesNotContain("vgate_", "jvm_", "\"checks\"");
    }
}
