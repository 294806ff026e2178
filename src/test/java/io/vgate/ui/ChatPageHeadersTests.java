package io.vgate.ui;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The page and its assets carry the page's hardening headers; the API, health and metrics do not, because
 * they are not pages and their headers belong to the steps that answer them.
 */
@QuarkusTest
class ChatPageHeadersTests {

    @ParameterizedTest
    @CsvSource({
        "/, text/html",
        "/index.html, text/html",
        "/ui/chat.js, text/javascript",
        "/ui/markdown.js, text/javascript",
        "/ui/chat.css, text/css",
        "/ui/icon.svg, image/svg+xml"
    })
    void pageAndAssetsCarryTheHardeningHeaders(String path, String contentType) {
        Response response = given().get(path).then().statusCode(200).extract().response();

        assertThat(response.contentType()).startsWith(contentType);
        assertThat(directives(response.header("Content-Security-Policy")))
                .containsExactlyInAnyOrder(
                        "default-src 'none'",
                        "script-src 'self'",
                        "style-src 'self'",
                        "img-src 'self'",
                        "connect-src 'self'",
                        "base-uri 'none'",
                        "form-action 'none'",
                        "frame-ancestors 'none'",
                        "object-src 'none'",
                        "require-trusted-types-for 'script'",
                        "trusted-types 'none'");
        assertThat(response.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(response.header("Referrer-Policy")).isEqualTo("no-referrer");
        assertThat(response.header("X-Frame-Options")).isEqualTo("DENY");
        assertThat(response.header("Cross-Origin-Opener-Policy")).isEqualTo("same-origin");
        assertThat(response.header("Cache-Control")).isEqualTo("no-cache");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/index.html", "/ui/chat.js"})
    void headRequestsGetTheSameHeaders(String path) {
        Response response = given().head(path).then().statusCode(200).extract().response();

        assertThat(response.header("Content-Security-Policy")).isEqualTo(ChatPageRoutes.CONTENT_SECURITY_POLICY);
        assertThat(response.header("X-Content-Type-Options")).isEqualTo("nosniff");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/models", "/v1/nope", "/q/health/live"})
    void apiAndHealthAnswersAreLeftAlone(String path) {
        Response response = given().get(path).then().extract().response();

        // The API has its own, stricter policy (set by the security headers on /v1); the page's never leaks there.
        assertThat(response.header("Content-Security-Policy")).isNotEqualTo(ChatPageRoutes.CONTENT_SECURITY_POLICY);
        assertThat(response.header("X-Frame-Options")).isNull();
    }

    @org.junit.jupiter.api.Test
    void pageLoadsItsCodeOnlyFromFilesTheServerServes() {
        String html = given().get("/").then().statusCode(200).extract().asString();

        // No inline script or style: the policy would block them, and the page must work under it.
        assertThat(html)
                .contains("<script type=\"module\" src=\"/ui/chat.js\"></script>")
                .doesNotContainPattern("<script(?![^>]*\\ssrc=)[^>]*>")
                .doesNotContain("<style", " style=", "onclick", "onload", "http://", "https://");
    }

    private static List<String> directives(String policy) {
        assertThat(policy).isNotNull();
        return Arrays.stream(policy.split(";")).map(String::strip).toList();
    }
}
