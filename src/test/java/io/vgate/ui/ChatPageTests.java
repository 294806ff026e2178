package io.vgate.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import io.vgate.sim.SimTokenizer;
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
                + "<b>not bold</b><a href=\"javascript:window.__xss=3\">link</a>"
                + "<svg onload=\"window.__xss = 4\"></svg><iframe srcdoc=\"<script>parent.__xss = 5</script>\"></iframe>"
                + " [click me](javascript:window.__xss=6) [data](data:text/html,<script>alert(7)</script>)"
                + " ![pixel](javascript:window.__xss=8) <javascript:window.__xss=9>";
        openPage();

        send(payload);

        Locator answer = lastAnswer();
        expect(answer).hasAttribute("data-state", "done");
        assertThat(answerText()).isEqualTo(payload);
        expect(page.locator(".message.user .message-body")).hasText(payload);
        expect(page.locator("#transcript img, #transcript script, #transcript b, #transcript a,"
                        + " #transcript svg, #transcript iframe"))
                .hasCount(0);
        answer.locator(".message-body p").click();
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
    void codeBlockFromTheModelRendersAsCodeAndCopies() {
        sim.settings().mode(Mode.ECHO);
        context.grantPermissions(List.of("clipboard-read", "clipboard-write"));
        String code = "def greet(name):\n    return f\"Hello, {name} <3\"  # " + "wide ".repeat(60) + "end";
        openPage();

        send("Here is the function:\n\n```python\n" + code + "\n```\n\nCall `greet(\"vgate\")`.");

        Locator answer = lastAnswer();
        expect(answer).hasAttribute("data-state", "done");
        Locator block = answer.locator(".message-body .code-block");
        Locator codeText = block.locator("pre code");
        assertThat(codeText.textContent()).isEqualTo(code);
        expect(block.locator(".code-lang")).hasText("python");
        expect(answer.locator(".message-body p code")).hasText("greet(\"vgate\")");
        assertThat((String) codeText.evaluate("c => getComputedStyle(c).fontFamily"))
                .contains("monospace");
        // A long line scrolls inside its block; the answer does not grow wider than the transcript.
        Locator pre = block.locator("pre");
        assertThat(pre.evaluate("p => getComputedStyle(p).overflowX")).isEqualTo("auto");
        assertThat(pre.evaluate("p => p.scrollWidth > p.clientWidth")).isEqualTo(true);
        assertThat(answer.boundingBox().width)
                .isLessThanOrEqualTo(page.locator("#transcript").boundingBox().width);
        screenshot("code-block-light");

        Locator copy = block.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Copy python code"));
        copy.click();

        expect(copy).hasText("Copied");
        assertThat(page.evaluate("() => navigator.clipboard.readText()")).isEqualTo(code);
        expect(page.locator("#status")).hasText("Copied to the clipboard.");
    }

    @Test
    void copyFallsBackToTheSelectionWhereTheClipboardApiIsMissing() {
        sim.settings().mode(Mode.ECHO);
        // As on a page served over plain http: no navigator.clipboard. Records what the copy command copied.
        page.addInitScript("Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined });"
                + "document.addEventListener('copy', () => { window.__copied = String(getSelection()); });");
        openPage();
        assertThat(page.evaluate("() => navigator.clipboard === undefined")).isEqualTo(true);

        send("```\nline one\n  line two\n```");
        Locator copy = lastAnswer().getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Copy code"));
        copy.click();

        expect(copy).hasText("Copied");
        assertThat(page.evaluate("() => window.__copied")).isEqualTo("line one\n  line two");
        assertThat(page.evaluate("() => String(getSelection())")).isEqualTo("");
    }

    @Test
    void linksFromTheModelOpenInANewTabWithoutOpenerOrReferrer() {
        sim.settings().mode(Mode.ECHO);
        openPage();

        send("Read [the *docs*](https://example.com/docs) or https://example.org/faq.");

        Locator links = lastAnswer().locator(".message-body a");
        expect(links).hasCount(2);
        expect(links.first()).hasText("the docs");
        expect(links.first()).hasAttribute("href", "https://example.com/docs");
        expect(links.nth(1)).hasText("https://example.org/faq");
        expect(links.nth(1)).hasAttribute("href", "https://example.org/faq");
        for (Locator link : links.all()) {
            expect(link).hasAttribute("rel", "noopener noreferrer");
            expect(link).hasAttribute("target", "_blank");
        }
        expect(lastAnswer().locator(".message-body em")).hasText("docs");
    }

    @Test
    void aReloadKeepsTheConversationInTheTab() {
        sim.settings().mode(Mode.ECHO);
        openPage();
        send("first **question**");
        expect(lastAnswer()).hasAttribute("data-state", "done");
        send("```sh\necho hi\n```");
        expect(lastAnswer()).hasAttribute("data-state", "done");
        String tokens = lastAnswer().locator("[data-stat=tokens]").textContent();

        page.reload();

        expect(page.locator(".turn")).hasCount(2);
        expect(page.locator("#empty-state")).isHidden();
        expect(page.locator(".message.user .message-body").first()).hasText("first **question**");
        expect(page.locator(".message.assistant").first().locator(".message-body strong"))
                .hasText("question");
        expect(lastAnswer()).hasAttribute("data-state", "done");
        assertThat(lastAnswer().locator("pre code").textContent()).isEqualTo("echo hi");
        expect(lastAnswer().locator("[data-stat=tokens]")).hasText(tokens);
        expect(page.locator("#model option").first()).not().hasText("Loading models…");
        JsonNode third = sentBody(() -> send("third"));
        expect(lastAnswer()).hasAttribute("data-state", "done");
        assertThat(roles(third))
                .containsExactly(
                        "user:first **question**",
                        "assistant:first **question**",
                        "user:```sh\necho hi\n```",
                        "assistant:```sh\necho hi\n```",
                        "user:third");

        page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName("New chat"))
                .click();
        page.reload();
        expect(page.locator("#empty-state")).isVisible();
        expect(page.locator(".turn")).hasCount(0);
        assertThat(page.evaluate("() => sessionStorage.getItem('vgate.conversation')"))
                .isNull();
        assertThat(page.evaluate("() => localStorage.length")).isEqualTo(0);
    }

    @Test
    void aReloadWhileAnAnswerStreamsKeepsWhatArrivedAsStopped() {
        sim.settings()
                .timeToFirstToken(Duration.ZERO)
                .interTokenLatency(Duration.ofMillis(40))
                .meanOutputTokens(3000);
        openPage();
        long abortedBefore = sim.aborted();
        send("Write a very long essay about GPUs.");
        page.waitForFunction(
                "() => document.querySelector('.message.assistant .message-body').textContent.length > 40");

        page.reload();

        await().atMost(ABORT_DEADLINE).until(() -> sim.running() == 0);
        assertThat(sim.aborted()).isEqualTo(abortedBefore + 1);
        expect(page.locator(".turn")).hasCount(1);
        expect(lastAnswer()).hasAttribute("data-state", "stopped");
        expect(lastAnswer().locator(".badge.stopped")).hasText("Stopped");
        assertThat(answerText()).hasSizeGreaterThan(40);
    }

    @Test
    void theSystemPromptIsSentAndKeptInTheTab() {
        sim.settings().mode(Mode.ECHO);
        String system = "You are terse. Answer in French.";
        openPage();
        page.locator(".options summary").click();
        page.getByLabel("System prompt").fill(system);
        expect(page.locator("#options-note")).hasText("· system prompt");

        JsonNode body = sentBody(() -> send("Bonjour"));

        assertThat(roles(body)).containsExactly("system:" + system, "user:Bonjour");
        expect(lastAnswer()).hasAttribute("data-state", "done");
        // What the simulator behind vgate counted is the chat with the system message in it.
        SimTokenizer tokenizer = sim.tokenizer();
        int withSystem = tokenizer.count(tokenizer.renderChat(
                List.of(new SimTokenizer.Message("system", system), new SimTokenizer.Message("user", "Bonjour")),
                true,
                false));
        int withoutSystem = tokenizer.count(
                tokenizer.renderChat(List.of(new SimTokenizer.Message("user", "Bonjour")), true, false));
        assertThat(withSystem).isGreaterThan(withoutSystem);
        expect(lastAnswer().locator("[data-stat=tokens]")).hasAttribute("title", "Prompt: " + withSystem + " tokens.");

        page.reload();
        expect(page.getByLabel("System prompt")).hasValue(system);
        expect(page.locator("#options-note")).hasText("· system prompt");
        JsonNode next = sentBody(() -> send("Encore"));
        assertThat(roles(next)).first().isEqualTo("system:" + system);
    }

    @Test
    void reasoningArrivesCollapsedAboveTheAnswer() {
        openPage();
        // vLLM's bytes for a reasoning model (qwen3 parser, newest field name `reasoning`).
        fulfilWithStream(
                delta("{\"role\":\"assistant\",\"content\":\"\"}", null, false),
                delta("{\"reasoning\":\"The user asks for **17*23**.\"}", null, true),
                delta("{\"reasoning\":\" 17*20 is 340, plus 51.\"}", null, true),
                delta("{\"content\":\"\\n\\n391\"}", null, true),
                delta("{\"content\":\"\"}", "stop", true),
                USAGE,
                "[DONE]");

        send("What is 17*23?");

        Locator answer = lastAnswer();
        expect(answer).hasAttribute("data-state", "done");
        Locator reasoning = answer.locator("details.reasoning");
        expect(reasoning).isVisible();
        expect(reasoning).not().hasAttribute("open", "");
        expect(reasoning.locator("summary")).hasText(Pattern.compile("^(Thought for .+|Reasoning)$"));
        expect(reasoning.locator(".reasoning-body")).isHidden();
        expect(answer.locator(".message-body")).hasText("391");
        assertThat(reasoning.boundingBox().y)
                .isLessThan(answer.locator(".message-body").boundingBox().y);

        reasoning.locator("summary").click();

        expect(reasoning.locator(".reasoning-body")).isVisible();
        expect(reasoning.locator(".reasoning-body")).hasText("The user asks for 17*23. 17*20 is 340, plus 51.");
        expect(reasoning.locator(".reasoning-body strong")).hasText("17*23");
        assertThat(roles(sentBody(() -> {
                    page.unroute(CHAT);
                    send("And 18*23?");
                })))
                .contains("assistant:\n\n391");
    }

    @Test
    void reasoningFromTheSimulatorShowsAsThinkingWhileItStreamsThenCollapsedAboveTheAnswer() {
        sim.settings()
                .reasoning("always")
                .timeToFirstToken(Duration.ZERO)
                .interTokenLatency(Duration.ofMillis(30))
                .meanOutputTokens(60);
        openPage();
        // Records the reasoning block and the answer each time the DOM changes while the answer streams.
        page.evaluate("() => { window.__seen = []; const log = document.getElementById('transcript');"
                + " new MutationObserver(() => { const a = [...log.querySelectorAll('.message.assistant')].pop();"
                + "  const d = a && a.querySelector('details.reasoning'); if (!d || d.hidden) return;"
                + "  window.__seen.push({ summary: d.querySelector('summary').textContent, open: d.open,"
                + "   thought: d.querySelector('.reasoning-body').textContent.length,"
                + "   answer: a.querySelector('.message-body').textContent.length }); })"
                + " .observe(log, { subtree: true, childList: true, characterData: true, attributes: true }); }");

        send("What is 17*23?");

        Locator answer = lastAnswer();
        Locator reasoning = answer.locator("details.reasoning");
        expect(reasoning.locator("summary")).hasText("Thinking…");
        screenshot("thinking-light");
        expect(answer).hasAttribute("data-state", "done");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> seen = (List<Map<String, Object>>) page.evaluate("() => window.__seen");
        List<Map<String, Object>> whileThinking = seen.stream()
                .filter(sample -> "Thinking…".equals(sample.get("summary")))
                .toList();
        assertThat(whileThinking).as("renders while thinking").hasSizeGreaterThanOrEqualTo(3);
        assertThat(whileThinking)
                .allSatisfy(sample -> assertThat(sample)
                        .as("collapsed, with no answer below it yet")
                        .containsEntry("open", false)
                        .containsEntry("answer", 0));
        assertThat(whileThinking.stream()
                        .map(sample -> ((Number) sample.get("thought")).intValue())
                        .distinct()
                        .toList())
                .as("reasoning lengths while thinking")
                .hasSizeGreaterThanOrEqualTo(3)
                .isSorted();
        expect(reasoning.locator("summary")).hasText(Pattern.compile("^Thought for (\\d+ ms|\\d+\\.\\d\\d s)$"));
        expect(reasoning).not().hasAttribute("open", "");
        assertThat(answerText()).isNotBlank();
        assertThat(reasoning.boundingBox().y)
                .isLessThan(answer.locator(".message-body").boundingBox().y);
        reasoning.locator("summary").click();
        assertThat(reasoning.locator(".reasoning-body").textContent()).isNotBlank();
        assertThat(cspViolations()).isEmpty();
        assertThat(consoleErrors).isEmpty();
    }

    @Test
    void toolCallFromTheSimulatorShowsAsANamedBlockWithItsArguments() {
        sim.settings().mode(Mode.ECHO);
        openPage();
        send("Here is how to call it:\n\n```python\nweather = get_weather(city=\"Paris\", unit=\"celsius\")\n```");
        expect(lastAnswer()).hasAttribute("data-state", "done");
        sim.settings().reasoning("always");
        // The page sends no tools: add one, and require a call, on the way out; vgate and the simulator answer.
        page.route(CHAT, route -> {
            ObjectNode body = (ObjectNode) Json.parse(route.request().postData());
            body.set(
                    "tools",
                    Json.parse("[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                            + "\"description\":\"Current weather in a city\",\"parameters\":{\"type\":\"object\","
                            + "\"properties\":{\"city\":{\"type\":\"string\"},"
                            + "\"unit\":{\"type\":\"string\",\"enum\":[\"celsius\",\"fahrenheit\"]}},"
                            + "\"required\":[\"city\",\"unit\"],\"additionalProperties\":false}}}]"));
            body.put("tool_choice", "required");
            route.resume(new Route.ResumeOptions().setPostData(body.toString()));
        });

        send("What is the weather in Paris?");

        Locator answer = lastAnswer();
        expect(answer).hasAttribute("data-state", "done");
        Locator call = answer.locator(".tool-call").first();
        expect(call.locator(".tool-call-name")).hasText("get_weather");
        expect(call.locator(".tool-call-id")).hasText(Pattern.compile("^chatcmpl-tool-\\S+$"));
        expect(call).hasAttribute("data-complete", "true");
        String shown = call.locator("pre code").textContent();
        JsonNode arguments = Json.parse(shown);
        // Pretty-printed: one member a line, indented by two spaces.
        assertThat(shown.lines().toList()).hasSize(arguments.size() + 2).first().isEqualTo("{");
        assertThat(shown.lines().skip(1).limit(arguments.size())).allMatch(line -> line.matches("^  \"\\w+\": .+$"));
        assertThat(arguments.get("city").isTextual()).isTrue();
        assertThat(arguments.get("unit").asText()).isIn("celsius", "fahrenheit");
        assertThat(arguments.size()).isEqualTo(2);
        expect(answer.locator("details.reasoning")).isVisible();
        expect(answer.locator(".placeholder")).hasCount(0);

        answer.locator("details.reasoning summary").click();
        page.screenshot(new Page.ScreenshotOptions()
                .setPath(HeadlessChromium.SCREENSHOTS.resolve("code-reasoning-tool-call-light.png"))
                .setFullPage(true));
        assertThat(cspViolations()).isEmpty();
        assertThat(consoleErrors).isEmpty();
    }

    @Test
    void anAnswerThatArrivesWithoutStreamingShowsItsReasoningAndToolCalls() {
        openPage();
        // vLLM's non-streaming shape (the wire reference, 1.3 and 3.3), for a server or proxy that ignores stream.
        String body = "{\"id\":\"chatcmpl-3f9a1c0e7b2d4a65\",\"object\":\"chat.completion\",\"created\":1767225600,"
                + "\"model\":\"qwen3-8b\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                + "\"content\":null,\"refusal\":null,\"annotations\":null,\"audio\":null,\"function_call\":null,"
                + "\"tool_calls\":[{\"id\":\"chatcmpl-tool-8c41d2e09a7b3f16\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\": \\\"Paris\\\"}\"}}],"
                + "\"reasoning\":\"The user wants the weather.\"},\"logprobs\":null,\"finish_reason\":\"tool_calls\","
                + "\"stop_reason\":null,\"token_ids\":null}],\"service_tier\":null,\"system_fingerprint\":null,"
                + "\"usage\":{\"prompt_tokens\":212,\"total_tokens\":268,\"completion_tokens\":56,"
                + "\"prompt_tokens_details\":null,\"completion_tokens_details\":null},\"prompt_logprobs\":null,"
                + "\"prompt_token_ids\":null,\"kv_transfer_params\":null}";
        page.route(
                CHAT,
                route -> route.fulfill(new Route.FulfillOptions()
                        .setStatus(200)
                        .setHeaders(Map.of("Content-Type", "application/json"))
                        .setBody(body)));

        send("Weather in Paris?");

        Locator answer = lastAnswer();
        expect(answer).hasAttribute("data-state", "done");
        expect(answer.locator("details.reasoning")).not().hasAttribute("open", "");
        expect(answer.locator(".reasoning-body")).hasText("The user wants the weather.");
        expect(answer.locator(".tool-call .tool-call-name")).hasText("get_weather");
        assertThat(answer.locator(".tool-call pre code").textContent()).isEqualTo("{\n  \"city\": \"Paris\"\n}");
        expect(answer.locator("[data-stat=tokens]")).hasText("56 tokens");
    }

    @Test
    void olderReasoningFieldNamesAreReadOnce() {
        openPage();
        // v0.11.1–v0.15 send the text under both names, and "reasoning_content": null beside content.
        fulfilWithStream(
                delta("{\"role\":\"assistant\",\"content\":\"\",\"reasoning_content\":null}", null, false),
                delta("{\"reasoning\":\"Hmm,\",\"reasoning_content\":\"Hmm,\"}", null, true),
                delta("{\"reasoning\":\" easy.\",\"reasoning_content\":\" easy.\"}", null, true),
                delta("{\"content\":\"Yes.\",\"reasoning_content\":null}", "stop", true),
                "[DONE]");

        send("Is it easy?");

        expect(lastAnswer()).hasAttribute("data-state", "done");
        expect(lastAnswer().locator(".reasoning-body")).hasText("Hmm, easy.");
        expect(lastAnswer().locator(".message-body")).hasText("Yes.");
    }

    @Test
    void toolCallsAreShownAsNamedBlocksWithTheirArguments() {
        openPage();
        // vLLM's bytes for `auto` with a hermes-style parser and two parallel calls (the wire reference, 1.4 A).
        fulfilWithStream(
                delta("{\"role\":\"assistant\",\"content\":\"\"}", null, false),
                delta(
                        "{\"tool_calls\":[{\"id\":\"chatcmpl-tool-8c41d2e09a7b3f16\",\"type\":\"function\","
                                + "\"index\":0,\"function\":{\"name\":\"get_weather\"}}]}",
                        null,
                        true),
                delta(
                        "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"city\\\": \\\"\"}}]}",
                        null,
                        true),
                delta("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"Paris\"}}]}", null, true),
                delta("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"}\"}}]}", null, true),
                delta(
                        "{\"tool_calls\":[{\"id\":\"chatcmpl-tool-0b7e55a1c3d94f28\",\"type\":\"function\","
                                + "\"index\":1,\"function\":{\"name\":\"get_weather\"}}]}",
                        null,
                        true),
                delta(
                        "{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":"
                                + "\"{\\\"city\\\": \\\"Tokyo\\\"}\"}}]}",
                        null,
                        true),
                delta("{}", "tool_calls", true),
                USAGE,
                "[DONE]");

        send("Weather in Paris and Tokyo?");

        Locator answer = lastAnswer();
        expect(answer).hasAttribute("data-state", "done");
        Locator calls = answer.locator(".tool-call");
        expect(calls).hasCount(2);
        expect(calls.first().locator(".tool-call-name")).hasText("get_weather");
        expect(calls.first().locator(".tool-call-id")).hasText("chatcmpl-tool-8c41d2e09a7b3f16");
        assertThat(calls.first().locator("pre code").textContent()).isEqualTo("{\n  \"city\": \"Paris\"\n}");
        expect(calls.first()).hasAttribute("data-complete", "true");
        expect(calls.nth(1).locator(".tool-call-id")).hasText("chatcmpl-tool-0b7e55a1c3d94f28");
        assertThat(calls.nth(1).locator("pre code").textContent()).isEqualTo("{\n  \"city\": \"Tokyo\"\n}");
        expect(answer.locator(".message-body")).isHidden();
        expect(answer.locator(".placeholder")).hasCount(0);
        expect(answer.locator("[data-stat=tokens]")).hasText("56 tokens");
    }

    @Test
    void requiredToolCallsStreamedWithANullNameKeepTheirName() {
        openPage();
        // `tool_choice: "required"`: later fragments repeat "name": null; the last step may carry an empty fragment.
        fulfilWithStream(
                delta("{\"role\":\"assistant\",\"content\":\"\"}", null, false),
                delta(
                        "{\"tool_calls\":[{\"id\":\"chatcmpl-tool-5d2c9e41a0b3f786\",\"type\":\"function\","
                                + "\"index\":0,\"function\":{\"name\":\"search_docs\",\"arguments\":\"{\\\"\"}}]}",
                        null,
                        true),
                delta(
                        "{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":null,"
                                + "\"arguments\":\"query\\\": \\\"<img src=x onerror=alert(1)>\\\", \\\"limit\\\": 3}\"}}]}",
                        null,
                        true),
                delta("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\"}}]}", "tool_calls", true),
                "[DONE]");

        send("Find it.");

        Locator call = lastAnswer().locator(".tool-call");
        expect(lastAnswer()).hasAttribute("data-state", "done");
        expect(call).hasCount(1);
        expect(call.locator(".tool-call-name")).hasText("search_docs");
        assertThat(call.locator("pre code").textContent())
                .isEqualTo("{\n  \"query\": \"<img src=x onerror=alert(1)>\",\n  \"limit\": 3\n}");
        expect(page.locator("#transcript img")).hasCount(0);
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

    private static final String ENVELOPE =
            "{\"id\":\"chatcmpl-3f9a1c0e7b2d4a65\",\"object\":\"chat.completion.chunk\",\"created\":1767225600,"
                    + "\"model\":\"qwen3-8b\",\"choices\":[";
    private static final String USAGE =
            ENVELOPE + "],\"usage\":{\"prompt_tokens\":212,\"total_tokens\":268,\"completion_tokens\":56}}";

    /** One chunk in vLLM's envelope and key order; the role chunk has no token_ids. */
    private static String delta(String delta, String finishReason, boolean tokenIds) {
        return ENVELOPE + "{\"index\":0,\"delta\":" + delta + ",\"logprobs\":null,\"finish_reason\":"
                + (finishReason == null ? "null" : "\"" + finishReason + "\",\"stop_reason\":null")
                + (tokenIds ? ",\"token_ids\":null" : "") + "}]}";
    }

    /** Answers the page's next chat requests with these SSE events, as vLLM frames them. */
    private void fulfilWithStream(String... events) {
        StringBuilder body = new StringBuilder();
        for (String event : events) {
            body.append("data: ").append(event).append("\n\n");
        }
        page.route(
                CHAT,
                route -> route.fulfill(new Route.FulfillOptions()
                        .setStatus(200)
                        .setHeaders(Map.of("Content-Type", "text/event-stream"))
                        .setBody(body.toString())));
    }

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
