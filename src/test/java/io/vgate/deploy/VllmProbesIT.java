package io.vgate.deploy;

import static org.awaitility.Awaitility.await;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The probes the Deployment points at behave as the manifests assume, on the packaged application
 * (the JVM jar here, the native executable under -Pnative): /q/health/ready follows vLLM's /health,
 * so a pod is in the Service only while its model is loaded, and /q/health/live does not, so a
 * loading or restarting vLLM never gets vgate restarted.
 */
@QuarkusIntegrationTest
@WithTestResource(FakeVllmHealth.class)
class VllmProbesIT {

    private static final Duration PATIENCE = Duration.ofSeconds(20);

    @AfterEach
    void healthy() {
        FakeVllmHealth.status = 200;
    }

    @Test
    void readinessFollowsVllmHealth() {
        FakeVllmHealth.status = 200;
        await().atMost(PATIENCE)
                .untilAsserted(() -> management().get("/q/health/ready").then().statusCode(200));

        FakeVllmHealth.status = 503;
        await().atMost(PATIENCE)
                .untilAsserted(() -> management().get("/q/health/ready").then().statusCode(503));

        FakeVllmHealth.status = 200;
        await().atMost(PATIENCE)
                .untilAsserted(() -> management().get("/q/health/ready").then().statusCode(200));
    }

    @Test
    void livenessIgnoresVllm() {
        FakeVllmHealth.status = 503;
        await().atMost(PATIENCE)
                .untilAsserted(() -> management().get("/q/health/ready").then().statusCode(503));
        management().get("/q/health/live").then().statusCode(200);
        management().get("/q/health/started").then().statusCode(200);
    }

    /** Requests to the application's management interface (health), on the port FakeVllmHealth chose. */
    private static io.restassured.specification.RequestSpecification management() {
        return io.restassured.RestAssured.given().baseUri("http://127.0.0.1").port(FakeVllmHealth.managementPort);
    }
}
