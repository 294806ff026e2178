package io.vgate.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.playwright.APIResponse;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Request;
import com.microsoft.playwright.Route;
import com.microsoft.playwright.assertions.LocatorAssertions;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.AriaRole;
import com.microsoft.playwright.options.ColorScheme;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vgate.sim.SimulatorConfig.Mode;
import io.vgate.sim.VllmSimulator;
import io.vgate.testing.Json;
import jakarta.inject.Inject;
import java.net.URL;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The chat page in a real headless Chromium against vgate and its simulator: streaming, Stop, safe rendering,
 * errors and the headers vgate's later steps add. Requests go through vgate unchanged unless a test intercepts
 * them to play a response vgate will produce once auth, rate limits and context fitting are in place.
 */
@QuarkusTest
class ChatPageTests {

    private static final Duration ABORT_DEADLINE = Duration.ofSeconds(3);
    private static final String CHAT = "**/v1/chat/completions";
    private static final String MODELS = "**/v1/models";

    private static HeadlessChromium chromium;

    @Inject
    VllmSimulator sim;

    @TestHTTPResource("/")
    URL root;

    private BrowserContext context;
    private Page page;
    private final List<String> consoleErrors = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startBrowser() throws Exception {
        Files.createDirectories(HeadlessChromium.SCREENSHOTS);
        PlaywrightAssertions.setDefaultAssertionTimeout(10_000);
        chromium = HeadlessChromium.launch();
    }

    @AfterAll
    static void stopBrowser() {
        if (chromium != null) {
            chromium.close();
        }
    }

    @BeforeEach
    void openBrowserTab() {
        context = chromium.browser()
                .newContext(new com.microsoft.playwright.Browser.NewContextOptions()
                        .setViewportSize(1280, 860)
                        .setColorScheme(ColorScheme.LIGHT));
        context.setDefaultTimeout(10_000);
        page = context.newPage();
        page.onConsoleMessage(message -> {
            if ("error".equals(message.type())) {
                consoleErrors.add(message.text());
            }
        });
        page.onPageError(error -> consoleErrors.add("uncaught: " + error));
        // Runs before the page's own code and outside its policy: records every CSP violation the page causes.
        page.addInitScript("window.__cspViolations = [];"
                + "document.addEventListener('securitypolicyviolation',"
                + " e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));");
    }

    @AfterEach
    void closeBrowserTab() {
        context.close();
        sim.settings().reset();
        await().atMost(ABORT_DEADLINE).until(() -> sim.running() == 0);
    }

    @Test
    void loadsCleanlyUnderItsContentSecurityPolicy() {
        var response = page.navigate(root.toString());

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headerValue("content-security-policy"))
                .contains(
                        "default-src 'none'",
                        "script-src 'self'",
                        "connect-src 'self'",
                        "frame-ancestors 'none'",
                        "require-trusted-types-for 'script'")
                .doesNotContain("unsafe-inline", "unsafe-eval");
        expect(page.getByLabel("Model")).hasValue(sim.modelName());
        expect(page.getByLabel("API key")).hasAttribute("type", "password");
        expect(page.getByLabel("Message")).isFocused();
        assertThat(cspViolations()).isEmpty();
        assertThat(consoleErrors).isEmpty();
        screenshot("idle-light");

        page.emulateMedia(new Page.EmulateMediaOptions().setColorScheme(ColorScheme.DARK));
        screenshot("idle-dark");
        page.setViewportSize(390, 844);
        screenshot("idle-phone-dark");
    }

    @Test
    void answerStreamsInTokenByToken() {
        sim.settings().mode(Mode.ECHO).timeToFirstToken(Duration.ZERO).interTokenLatency(Duration.ofMillis(40));
        String question = "Streaming means every token shows up on the page as soon as vLLM produces it, "
                + "one small piece after another, instead of one block at the end.";
        openPage();
        // Records the answer's length each time the DOM changes while the answer is streaming.
        page.evaluate("() => { window.__growth = []; const log = document.getElementById('transcript');"
                + " new MutationObserver(() => { const a = log.querySelector('.message.assistant');"
                + "  if (a && a.dataset.state === 'streaming') window.__growth.push("
                + "   [performance.now(), a.querySelector('.message-body').textContent.length]); })"
                + " .observe(log, { subtree: true, childList: true, characterData: true, attributes: true }); }");

        page.getByLabel("Message").fill(question);
        page.getByLabel("Message").press("Enter");

        Locator answer = lastAnswer();
        expect(answer).hasAttribute("data-state", "done");
        expect(answer.locator(".message-body")).hasText(question);
        List<double[]> growth =
                growth().stream().filter(sample -> sample[1] > 0).toList();
        List<Double> lengths =
                growth.stream().map(sample -> sample[1]).distinct().toList();
        assertThat(lengths)
                .as("answer lengths seen while streaming")
                .hasSizeGreaterThanOrEqualTo(5)
                .isSorted();
        assertThat(lengths.get(0)).isLessThan(question.length() / 4.0);
        double spanMillis = growth.get(growth.size() - 1)[0] - growth.get(0)[0];
        assertThat(spanMillis).as("time from the first to the last piece").isGreaterThan(300);
        expect(answer.locator("[data-stat=ttft]")).hasText(Pattern.compile("^TTFT (\\d+ ms|\\d+\\.\\d\\d s)$"));
        expect(answer.locator("[data-stat=tps]")).hasText(Pattern.compile("^\\d+\\.\\d tokens/s$"));
        expect(answer.locator("[data-stat=tokens]")).hasText(Pattern.compile("^\\d+ tokens$"));
        assertThat(consoleErrors).isEmpty();
        screenshot("answered-light");
        page.emulateMedia(new Page.EmulateMediaOptions().setColorScheme(ColorScheme.DARK));
        screenshot("answered-dark");
        page.setViewportSize(390, 844);
        screenshot("answered-phone-dark");
    }

    @Test
    void enterSendsAndShiftEnterStartsANewLine() {
        sim.settings().mode(Mode.ECHO);
        openPage();
        Locator message = page.getByLabel("Message");

        message.pressSequentially("line one");
        message.press("Shift+Enter");
        message.pressSequentially("line two");

        expect(message).hasValue("line one\nline two");
        expect(page.locator(".turn")).hasCount(0);
        message.press("Enter");
        expect(lastAnswer()).hasAttribute("data-state", "done");
        expect(message).hasValue("");
        expect(message).isFocused();
        assertThat(answerText()).isEqualTo("line one\nline two");
    }

    @Test
    void stopAbortsTheGenerationInVllm() {
        sim.settings()
                .timeToFirstToken(Duration.ZERO)
                .interTokenLatency(Duration.ofMillis(40))
                .meanOutputTokens(3000);
        openPage();
        long abortedBefore = sim.aborted();
        send("Write a very long essay about GPUs.");
        Locator answer = lastAnswer();
        expect(answer).hasAttribute("data-state", "streaming");
        page.waitForFunction(
                "() => document.querySelector('.message.assistant .message-body').textContent.length > 40");
        assertThat(sim.running()).isEqualTo(1);
        screenshot("streaming-light");
        page.emulateMedia(new Page.EmulateMediaOptions().setColorScheme(ColorScheme.DARK));
        screenshot("streaming-dark");

        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Stop"))
                .click();

        await().atMost(ABORT_DEADLINE).until(() -> sim.running() == 0);
        assertThat(sim.aborted()).isEqualTo(abortedBefore + 1);
        expect(answer).hasAttribute("data-state", "stopped");
        expect(answer.locator(".badge.stopped")).hasText("Stopped");
        assertThat(answerText()).hasSizeGreaterThan(40);
        expect(page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Send")))
                .isEnabled();
        expect(page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Stop")))
                .isHidden();
    }

    @Test
    void escapeStopsTheAnswerToo() {
        sim.settings()
                .timeToFirstToken(Duration.ZERO)
                .interTokenLatency(Duration.ofMillis(40))
                .meanOutputTokens(3000);
        openPage();
        send("Keep talking.");
        expect(lastAnswer()).hasAttribute("data-state", "streaming");

        page.getByLabel("Message").press("Escape");

        await().atMost(ABORT_DEADLINE).until(() -> sim.running() == 0);
        expect(lastAnswer()).hasAttribute("data-state", "stopped");
    }

    @Test
    void keepsTheConversationUntilANewOneStarts() {
        sim.settings().mode(Mode.ECHO);
        openPage();
        send("first question");
        expect(lastAnswer()).hasAttribute("data-state", "done");

        JsonNode second = sentBody(() -> send("second question"));
        expect(lastAnswer()).hasAttribute("data-state", "done");

        assertThat(second.get("model").asText()).isEqualTo(sim.modelName());
        assertThat(second.get("stream").asBoolean()).isTrue();
        assertThat(second.at("/stream_options/include_usage").asBoolean()).isTrue();
        assertThat(roles(second))
                .containsExactly("user:first question", "assistant:first question", "user:second question");
        expect(page.locator(".turn")).hasCount(2);

        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("New chat"))
                .click();
        expect(page.locator(".turn")).hasCount(0);
        expect(page.getByLabel("Message")).isFocused();
        JsonNode third = sentBody(() -> send("third question"));
        assertThat(roles(third)).containsExactly("user:third question");
    }

    @Test
    void newChatStopsTheAnswerAndForgetsIt() {
        sim.settings()
                .timeToFirstToken(Duration.ZERO)
                .interTokenLatency(Duration.ofMillis(40))
                .meanOutputTokens(3000);
        openPage();
        send("Talk for a long time.");
        page.waitForFunction(
                "() => document.querySelector('.message.assistant .message-body').textContent.length > 10");

        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("New chat"))
                .click();

        await().atMost(ABORT_DEADLINE).until(() -> sim.running() == 0);
        expect(page.locator(".turn")).hasCount(0);
        sim.settings().reset();
        JsonNode next = sentBody(() -> send("fresh start"));
        assertThat(roles(next)).containsExactly("user:fresh start");
    }

    @Test
    void modelOutputIsShownAsTextAndNeverRunsAsHtml() {
        sim.settings().mode(Mode.ECHO);
        String payload = "<script>window.__xss = 1</script><img src=x onerror=\"window.__xss = 2\">"
                + "<b>not bold</b><a href=\"javascript:window.__xss=3\">link</a>";
        openPage();

        send(payload);

        Locator answer = lastAnswer();
        expect(answer).hasAttribute("data-state", "done");
        assertThat(answerText()).isEqualTo(payload);
        expect(page.locator(".message.user .message-body")).hasText(payload);
        expect(page.locator("#transcript img, #transcript script, #transcript b, #transcript a"))
                .hasCount(0);
        assertThat(page.evaluate("() => window.__xss === undefined")).isEqualTo(true);
        assertThat(cspViolations()).isEmpty();
        assertThat(consoleErrors).isEmpty();
    }

    @Test
    void rendersASafeMarkdownSubset() {
        sim.settings().mode(Mode.ECHO);
        openPage();

        send("Use **bold** and `code`.\n\n```java\nint x = 1 < 2 ? 3 : 4;\n```");

        Locator body = lastAnswer().locator(".message-body");
        expect(lastAnswer()).hasAttribute("data-state", "done");
        expect(body.locator("strong")).hasText("bold");
        expect(body.locator("p code")).hasText("code");
        expect(body.locator("pre code")).hasText("int x = 1 < 2 ? 3 : 4;");
        expect(body.locator("pre")).hasAttribute("data-lang", "java");
        screenshot("markdown-light");
    }

    @Test
    void upstreamRateLimitWithoutRetryAfterIsExplained() {
        sim.settings().faults().errorRate(1.0).errorStatus(429);
        openPage();

        send("Hello?");

        Locator notice = page.locator(".notice.error");
        expect(notice.locator(".notice-title")).hasText("Too many requests");
        expect(notice).containsText("Injected failure");
        expect(notice).containsText("Wait a moment, then retry.");
        expect(notice.locator(".notice-meta")).containsText("HTTP 429");
        expect(notice.locator(".countdown")).hasCount(0);
        expect(notice.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Retry")))
                .isEnabled();
        expect(lastAnswer()).hasAttribute("data-state", "failed");
        screenshot("error-light");
    }

    @Test
    void retryAfterCountsDownBeforeRetryUnlocks() {
        openPage();
        page.route(
                CHAT,
                route -> route.fulfill(new Route.FulfillOptions()
                        .setStatus(429)
                        .setHeaders(Map.of(
                                "Content-Type",
                                "application/json",
                                "Retry-After",
                                "3",
                                "RateLimit-Limit",
                                "10",
                                "RateLimit-Remaining",
                                "0",
                                "RateLimit-Reset",
                                "3"))
                        .setBody("{\"error\":{\"message\":\"Rate limit reached for this key: 10 requests per minute.\","
                                + "\"type\":\"rate_limit_error\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}")));

        send("Hello?");

        Locator notice = page.locator(".notice.error");
        Locator countdown = notice.locator(".countdown");
        Locator retry = notice.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Retry"));
        expect(countdown).hasText(Pattern.compile("You can retry in [1-3] s\\."));
        expect(notice).containsText("Rate limit reached for this key");
        expect(notice.locator(".notice-meta")).containsText("rate_limit_exceeded");
        expect(notice.locator(".notice-meta")).containsText("limit 10, remaining 0");
        expect(retry).isDisabled();
        int first = secondsLeft(countdown);
        page.emulateMedia(new Page.EmulateMediaOptions().setColorScheme(ColorScheme.DARK));
        screenshot("error-dark");

        if (first > 1) {
            expect(countdown).hasText(Pattern.compile("You can retry in [1-" + (first - 1) + "] s\\."));
        }
        expect(countdown).hasText("You can retry now.");
        expect(retry).isEnabled();

        page.unroute(CHAT);
        retry.click();
        expect(lastAnswer()).hasAttribute("data-state", "done");
        expect(page.locator(".notice.error")).hasCount(0);
        expect(page.locator(".turn")).hasCount(1);
    }

    @Test
    void capacityErrorShowsTheReasonAndCountdown() {
        openPage();
        page.route(
                CHAT,
                route -> route.fulfill(new Route.FulfillOptions()
                        .setStatus(503)
                        .setHeaders(Map.of("Content-Type", "application/json", "Retry-After", "7"))
                        .setBody("{\"error\":{\"message\":\"All generation slots are busy and the queue is full.\","
                                + "\"type\":\"server_error\",\"param\":null,\"code\":\"queue_full\"}}")));

        send("Hello?");

        Locator notice = page.locator(".notice.error");
        expect(notice.locator(".notice-title")).hasText("vgate is busy");
        expect(notice).containsText("waiting line is full");
        expect(notice.locator(".countdown")).hasText(Pattern.compile("You can retry in [5-7] s\\."));
    }

    @Test
    void contextNoticeShowsWhatVgateChanged() {
        openPage();
        page.route(CHAT, route -> {
            APIResponse upstream = route.fetch();
            Map<String, String> headers = new HashMap<>(upstream.headers());
            headers.put("X-Vgate-Context", "trimmed");
            headers.put("X-Vgate-Trimmed-Messages", "2");
            headers.put("X-Vgate-Max-Tokens", "512");
            headers.put("X-Vgate-Prompt-Tokens", "812");
            route.fulfill(new Route.FulfillOptions().setResponse(upstream).setHeaders(headers));
        });

        send("Remember everything we said.");

        expect(lastAnswer()).hasAttribute("data-state", "done");
        Locator notice = lastAnswer().locator(".notice.info");
        expect(notice.locator(".notice-title")).hasText("Conversation trimmed");
        expect(notice).containsText("2 earlier messages were left out to fit the model's context window.");
        expect(notice).containsText("Prompt: 812 tokens.");

        page.unroute(CHAT);
        page.route(CHAT, route -> {
            APIResponse upstream = route.fetch();
            Map<String, String> headers = new HashMap<>(upstream.headers());
            headers.put("X-Vgate-Context", "clamped");
            headers.put("X-Vgate-Max-Tokens", "512");
            route.fulfill(new Route.FulfillOptions().setResponse(upstream).setHeaders(headers));
        });
        send("Now write a lot.");

        expect(lastAnswer()).hasAttribute("data-state", "done");
        Locator clamped = lastAnswer().locator(".notice.info");
        expect(clamped.locator(".notice-title")).hasText("Answer length limited");
        expect(clamped).containsText("The answer is limited to 512 tokens to fit the context window.");
    }

    @Test
    void unauthorizedAsksForAKeyAndTheKeyStaysInTheTab() {
        String key = "vgate-test-key";
        // Plays vgate's auth step: 401 in its documented shape unless the right bearer key comes along.
        for (String url : List.of(CHAT, MODELS)) {
            page.route(url, route -> {
                if (("Bearer " + key).equals(route.request().headerValue("authorization"))) {
                    route.resume();
                } else {
                    route.fulfill(
                            new Route.FulfillOptions()
                                    .setStatus(401)
                                    .setHeaders(Map.of("Content-Type", "application/json"))
                                    .setBody(
                                            "{\"error\":{\"message\":\"Missing or invalid API key.\","
                                                    + "\"type\":\"authentication_error\",\"param\":null,\"code\":\"invalid_api_key\"}}"));
                }
            });
        }
        openPage();
        expect(page.locator("#model option")).hasText("Enter an API key to list models");

        send("Hello?");

        Locator notice = page.locator(".notice.error");
        expect(notice.locator(".notice-title")).hasText("API key needed");
        expect(notice).containsText("Missing or invalid API key.");
        Locator keyField = page.getByLabel("API key");
        expect(keyField).isFocused();
        expect(keyField).hasAttribute("aria-invalid", "true");

        keyField.fill(key);
        keyField.press("Tab");
        expect(page.getByLabel("Model")).hasValue(sim.modelName());
        Request sent = page.waitForRequest(
                CHAT,
                () -> notice.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Retry"))
                        .click());

        assertThat(sent.headerValue("authorization")).isEqualTo("Bearer " + key);
        expect(lastAnswer()).hasAttribute("data-state", "done");
        expect(keyField).not().hasAttribute("aria-invalid", "true");
        assertThat(page.evaluate("() => sessionStorage.getItem('vgate.apiKey')"))
                .isEqualTo(key);
        assertThat(page.evaluate("() => localStorage.length")).isEqualTo(0);
        assertThat(context.cookies()).isEmpty();
        page.reload();
        expect(page.getByLabel("API key")).hasValue(key);
    }

    @Test
    void errorEventInsideTheStreamIsShownUnderThePartialAnswer() {
        sim.settings().mode(Mode.ECHO).faults().errorAfterEvents(4);
        openPage();

        send("one two three four five six seven eight nine ten");

        Locator answer = lastAnswer();
        expect(answer).hasAttribute("data-state", "failed");
        assertThat(answerText()).isNotEmpty().isNotEqualTo("one two three four five six seven eight nine ten");
        expect(page.locator(".notice.error .notice-title")).hasText("The model stopped with an error");
    }

    @Test
    void readsServerSentEventsAsTheStandardDefinesThem() {
        openPage();
        // CRLF and CR line ends, a comment, ignored fields, an event whose data spans two lines, reasoning text.
        String stream = ": keep-alive\r\n\r\n"
                + "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\r\n\r\n"
                + "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"Thinking it over.\"}}]}\r\r"
                + "data:{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"
                + "event: message\nid: 7\ndata: {\"choices\":[{\"index\":0,\ndata: \"delta\":{\"content\":\"lo!\"}}]}\n\n"
                + "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n"
                + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"total_tokens\":7}}\n\n"
                + "data: [DONE]\n\n"
                + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" after the end\"}}]}\n\n";
        page.route(
                CHAT,
                route -> route.fulfill(new Route.FulfillOptions()
                        .setStatus(200)
                        .setHeaders(Map.of("Content-Type", "text/event-stream"))
                        .setBody(stream)));

        send("Hi");

        Locator answer = lastAnswer();
        expect(answer).hasAttribute("data-state", "done");
        expect(answer.locator(".message-body")).hasText("Hello!");
        expect(answer.locator(".reasoning")).isVisible();
        expect(answer.locator(".reasoning-body")).hasText("Thinking it over.");
        expect(answer.locator("[data-stat=tokens]")).hasText("4 tokens");
        expect(answer.locator(".badge.length")).hasText("Max tokens reached");
    }

    @Test
    void streamThatEndsWithoutDoneIsMarkedCutOff() {
        openPage();
        page.route(
                CHAT,
                route -> route.fulfill(new Route.FulfillOptions()
                        .setStatus(200)
                        .setHeaders(Map.of("Content-Type", "text/event-stream"))
                        .setBody("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Half an\"}}]}\n\n")));

        send("Hi");

        expect(lastAnswer()).hasAttribute("data-state", "failed");
        expect(lastAnswer().locator(".message-body")).hasText("Half an");
        expect(page.locator(".notice.error .notice-title")).hasText("The answer was cut off");
    }

    @Test
    void networkFailureIsExplained() {
        openPage();
        page.route(CHAT, route -> route.abort("connectionrefused"));

        send("Hello?");

        expect(page.locator(".notice.error .notice-title")).hasText("Could not reach vgate");
        expect(lastAnswer()).hasAttribute("data-state", "failed");
        expect(page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Send")))
                .isEnabled();
    }

    @Test
    void serverErrorMessagesAreShownAsText() {
        openPage();
        String message = "Bad value <img src=x onerror=\"window.__xss = 4\"><script>window.__xss = 5</script>";
        page.route(
                CHAT,
                route -> route.fulfill(new Route.FulfillOptions()
                        .setStatus(400)
                        .setHeaders(Map.of("Content-Type", "application/json"))
                        .setBody(Json.MAPPER
                                .createObjectNode()
                                .set(
                                        "error",
                                        Json.MAPPER
                                                .createObjectNode()
                                                .put("message", message)
                                                .put("type", "BadRequestError")
                                                .putNull("param")
                                                .put("code", 400))
                                .toString())));

        send("Hello?");

        Locator notice = page.locator(".notice.error");
        expect(notice.locator(".notice-title")).hasText("Request rejected");
        expect(notice.locator(".notice-body").first()).hasText(message);
        expect(page.locator("#transcript img, #transcript script")).hasCount(0);
        assertThat(page.evaluate("() => window.__xss === undefined")).isEqualTo(true);
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private void openPage() {
        page.navigate(root.toString());
        expect(page.locator("#model option").first()).not().hasText("Loading models…");
    }

    private void send(String text) {
        page.getByLabel("Message").fill(text);
        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("Send"))
                .click();
    }

    private JsonNode sentBody(Runnable action) {
        Request request = page.waitForRequest(CHAT, action);
        return Json.parse(request.postData());
    }

    private static List<String> roles(JsonNode body) {
        List<String> roles = new ArrayList<>();
        body.get("messages")
                .forEach(m -> roles.add(
                        m.get("role").asText() + ":" + m.get("content").asText()));
        return roles;
    }

    private Locator lastAnswer() {
        return page.locator(".message.assistant").last();
    }

    private String answerText() {
        return lastAnswer().locator(".message-body").textContent();
    }

    @SuppressWarnings("unchecked")
    private List<double[]> growth() {
        List<List<Number>> samples = (List<List<Number>>) page.evaluate("() => window.__growth");
        return samples.stream()
                .map(sample ->
                        new double[] {sample.get(0).doubleValue(), sample.get(1).doubleValue()})
                .toList();
    }

    @SuppressWarnings("unchecked")
    private List<String> cspViolations() {
        return (List<String>) page.evaluate("() => window.__cspViolations");
    }

    private static int secondsLeft(Locator countdown) {
        Matcher m = Pattern.compile("(\\d+) s").matcher(countdown.textContent());
        assertThat(m.find()).as("countdown shows seconds").isTrue();
        return Integer.parseInt(m.group(1));
    }

    private void screenshot(String name) {
        page.screenshot(new Page.ScreenshotOptions().setPath(HeadlessChromium.SCREENSHOTS.resolve(name + ".png")));
    }

    private static LocatorAssertions expect(Locator locator) {
        return PlaywrightAssertions.assertThat(locator);
    }
}
