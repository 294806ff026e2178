package io.vgate.ui;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Page;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The chat page's Markdown renderer ({@code /ui/markdown.js}) in a real headless Chromium, loaded into the page as
 * vgate serves it, under the page's Content-Security-Policy and Trusted Types: each case renders model text into a
 * detached element and compares the DOM it built.
 */
@QuarkusTest
class MarkdownRendererTests {

    private static final String LINK = " target=\"_blank\" rel=\"noopener noreferrer\"";

    private static HeadlessChromium chromium;

    @TestHTTPResource("/")
    URL root;

    private BrowserContext context;
    private Page page;
    private final List<String> errors = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startBrowser() {
        chromium = HeadlessChromium.launch();
    }

    @AfterAll
    static void stopBrowser() {
        if (chromium != null) {
            chromium.close();
        }
    }

    @BeforeEach
    void openPage() {
        context = chromium.browser().newContext(new Browser.NewContextOptions().setViewportSize(1000, 700));
        context.setDefaultTimeout(10_000);
        page = context.newPage();
        page.onConsoleMessage(message -> {
            if ("error".equals(message.type())) {
                errors.add(message.text());
            }
        });
        page.onPageError(error -> errors.add("uncaught: " + error));
        page.addInitScript("window.__cspViolations = []; window.__ran = [];"
                + "document.addEventListener('securitypolicyviolation',"
                + " e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));");
        page.navigate(root.toString());
    }

    @AfterEach
    void nothingWasBlockedOrThrown() {
        try {
            assertThat(page.evaluate("() => window.__cspViolations")).asList().isEmpty();
            assertThat(errors).isEmpty();
        } finally {
            context.close();
        }
    }

    static Stream<Arguments> markdown() {
        return Stream.of(
                // paragraphs keep the model's line breaks; a blank line starts a new paragraph
                Arguments.of("Hello\nworld", "<p>Hello\nworld</p>"),
                Arguments.of("one\n\n\ntwo  ", "<p>one</p><p>two</p>"),
                // headings nest below the page's own h1 and h2
                Arguments.of(
                        "# One\n## Two ##\n###### Six",
                        "<h3 class=\"md-heading\">One</h3><h4 class=\"md-heading\">Two</h4>"
                                + "<h6 class=\"md-heading\">Six</h6>"),
                Arguments.of("#hashtag, not a heading", "<p>#hashtag, not a heading</p>"),
                // fenced code: language, tildes, longer fences, unclosed while streaming, markup inside stays text
                Arguments.of("```java\nint x = 1 < 2;\n  y();\n```", code("java", "int x = 1 &lt; 2;\n  y();", true)),
                Arguments.of(
                        "Before\n~~~\nplain\n~~~\nAfter", "<p>Before</p>" + code("", "plain", true) + "<p>After</p>"),
                Arguments.of("````md\n```\ninner\n```\n````", code("md", "```\ninner\n```", true)),
                Arguments.of("```py\nprint(1)\nprint(2", code("py", "print(1)\nprint(2", false)),
                Arguments.of(
                        "```html\n<img src=x onerror=alert(1)>\n```",
                        code("html", "&lt;img src=x onerror=alert(1)&gt;", true)),
                Arguments.of("```not a fence``` inline", "<p><code>not a fence</code> inline</p>"),
                // inline code
                Arguments.of(
                        "Use `a < b` and ``x ` y`` and `unclosed",
                        "<p>Use <code>a &lt; b</code> and <code>x ` y</code> and `unclosed</p>"),
                // lists: nested, ordered with a start, loose, code inside an item, interrupting a paragraph
                Arguments.of(
                        "- a\n- b\n  - c\n  - d",
                        "<ul class=\"tight\"><li>a</li><li>b<ul class=\"tight\"><li>c</li><li>d</li></ul></li></ul>"),
                Arguments.of(
                        "3. three\n4. four\nstill four",
                        "<ol class=\"tight\" start=\"3\"><li>three</li><li>four\nstill four</li></ol>"),
                Arguments.of("* a\n\n* b", "<ul class=\"loose\"><li><p>a</p></li><li><p>b</p></li></ul>"),
                Arguments.of(
                        "Steps:\n1. Install:\n   ```sh\n   npm i\n   ```\n2. Run",
                        "<p>Steps:</p><ol class=\"tight\"><li>Install:" + code("sh", "npm i", true)
                                + "</li><li>Run</li></ol>"),
                Arguments.of("- one\n\nAfter the list", "<ul class=\"tight\"><li>one</li></ul><p>After the list</p>"),
                // emphasis
                Arguments.of(
                        "*em* _em_ **strong** __strong__ ***both*** ~~gone~~",
                        "<p><em>em</em> <em>em</em> <strong>strong</strong> <strong>strong</strong>"
                                + " <em><strong>both</strong></em> <del>gone</del></p>"),
                Arguments.of(
                        "**bold with *em* inside** and *em with `*code*`*",
                        "<p><strong>bold with <em>em</em> inside</strong> and <em>em with <code>*code*</code></em></p>"),
                Arguments.of(
                        "snake_case_name, 2 * 3 * 4 and **not closed",
                        "<p>snake_case_name, 2 * 3 * 4 and **not closed</p>"),
                Arguments.of("\\*not em\\* and \\`not code\\`", "<p>*not em* and `not code`</p>"),
                // quotes and rules
                Arguments.of(
                        "> quoted **text**\nlazy line\n\n---",
                        "<blockquote><p>quoted <strong>text</strong>\nlazy line</p></blockquote><hr>"),
                // links: http(s) only, opened in a new tab without opener or referrer
                Arguments.of(
                        "[the *docs*](https://example.com/docs \"The docs\")",
                        "<p><a href=\"https://example.com/docs\"" + LINK
                                + " title=\"The docs\">the <em>docs</em></a></p>"),
                Arguments.of(
                        "See https://example.org/a_(b). Or <http://example.net>, or https://x.test/q?a=1&b=2!",
                        "<p>See <a href=\"https://example.org/a_(b)\"" + LINK + ">https://example.org/a_(b)</a>."
                                + " Or <a href=\"http://example.net/\"" + LINK + ">http://example.net</a>,"
                                + " or <a href=\"https://x.test/q?a=1&amp;b=2\"" + LINK
                                + ">https://x.test/q?a=1&amp;b=2</a>!</p>"),
                Arguments.of(
                        "[https://shown.test](https://target.test/)",
                        "<p><a href=\"https://target.test/\"" + LINK + ">https://shown.test</a></p>"),
                Arguments.of(
                        "[a](javascript:alert(1)) [b](JaVaScRiPt:alert(2)) [c](data:text/html,hi) [d](/relative)"
                                + " [e](vbscript:x) <javascript:alert(3)> [f](ftp://example.com)",
                        "<p>[a](javascript:alert(1)) [b](JaVaScRiPt:alert(2)) [c](data:text/html,hi) [d](/relative)"
                                + " [e](vbscript:x) &lt;javascript:alert(3)&gt; [f](ftp://example.com)</p>"),
                // images are never loaded: an http(s) image becomes a link to it, anything else stays text
                Arguments.of(
                        "![a cat](https://example.com/cat.png) ![x](javascript:alert(1))",
                        "<p><a href=\"https://example.com/cat.png\"" + LINK
                                + " class=\"image-link\">a cat</a> ![x](javascript:alert(1))</p>"),
                // raw HTML is text
                Arguments.of(
                        "<img src=x onerror=\"window.__ran.push(1)\"><script>window.__ran.push(2)</script>"
                                + "<b>b</b><a href=\"javascript:window.__ran.push(3)\">a</a>",
                        "<p>&lt;img src=x onerror=\"window.__ran.push(1)\"&gt;&lt;script&gt;window.__ran.push(2)"
                                + "&lt;/script&gt;&lt;b&gt;b&lt;/b&gt;&lt;a href=\"javascript:window.__ran.push(3)\"&gt;"
                                + "a&lt;/a&gt;</p>"));
    }

    @ParameterizedTest
    @MethodSource("markdown")
    void rendersMarkdownAsDomNodes(String markdown, String html) {
        assertThat(render(markdown)).isEqualTo(html);
        assertThat(page.evaluate("() => window.__ran.length")).isEqualTo(0);
    }

    @Test
    void linksOpenInANewTabWithoutOpenerOrReferrer() {
        @SuppressWarnings("unchecked")
        Map<String, Object> link = (Map<String, Object>) page.evaluate(
                "async (text) => { const { renderMarkdown } = await import('/ui/markdown.js');"
                        + " const target = document.createElement('div'); renderMarkdown(target, text);"
                        + " const a = target.querySelector('a');"
                        + " return { href: a.href, protocol: a.protocol, target: a.target, rel: a.rel,"
                        + "  links: target.querySelectorAll('a').length }; }",
                "[ok](HTTPS://Example.com/p) [no](javascript:alert(1))");

        assertThat(link)
                .containsEntry("href", "https://example.com/p")
                .containsEntry("protocol", "https:")
                .containsEntry("target", "_blank")
                .containsEntry("rel", "noopener noreferrer")
                .containsEntry("links", 1);
    }

    @Test
    void everyPrefixOfAStreamingAnswerRendersAndTheLastEqualsAOneShotRender() {
        String answer = "# Plan\n\nFirst **install** it:\n\n1. Run `npm i`\n2. Then:\n   ```sh\n   npm test\n   ```\n\n"
                + "> Note: see [the guide](https://example.com/guide).\n\n```java\nclass A {}\n```\n- *done*";
        @SuppressWarnings("unchecked")
        Map<String, Object> result = (Map<String, Object>) page.evaluate(
                "async (text) => { const { renderMarkdown } = await import('/ui/markdown.js');"
                        + " const streamed = document.createElement('div');"
                        + " for (let i = 1; i <= text.length; i++) renderMarkdown(streamed, text.slice(0, i));"
                        + " const once = document.createElement('div'); renderMarkdown(once, text);"
                        + " return { streamed: streamed.innerHTML, once: once.innerHTML }; }",
                answer);

        assertThat(result.get("streamed")).isEqualTo(result.get("once"));
        assertThat((String) result.get("once"))
                .contains("<h3 class=\"md-heading\">Plan</h3>", "<strong>install</strong>", "<code>npm i</code>")
                .contains("data-lang=\"sh\"", "data-lang=\"java\"", "<a href=\"https://example.com/guide\"");
    }

    @Test
    void reRenderingKeepsTheNodesOfBlocksThatDidNotChange() {
        @SuppressWarnings("unchecked")
        Map<String, Object> result = (Map<String, Object>)
                page.evaluate("async () => { const { renderMarkdown } = await import('/ui/markdown.js');"
                        + " const target = document.createElement('div');"
                        + " renderMarkdown(target, 'First paragraph.\\n\\n```js\\nlet a');"
                        + " const [paragraph, block] = target.children; const code = block.querySelector('code');"
                        + " renderMarkdown(target, 'First paragraph.\\n\\n```js\\nlet a = 1;\\n```\\nAfter');"
                        + " const grown = { paragraph: target.children[0] === paragraph,"
                        + "  block: target.children[1] === block, code: block.querySelector('code') === code,"
                        + "  text: code.textContent, closed: block.dataset.closed, count: target.children.length };"
                        + " renderMarkdown(target, 'Other.'); grown.after = target.innerHTML; return grown; }");

        assertThat(result)
                .containsEntry("paragraph", true)
                .containsEntry("block", true)
                .containsEntry("code", true)
                .containsEntry("text", "let a = 1;")
                .containsEntry("closed", "true")
                .containsEntry("count", 3)
                .containsEntry("after", "<p>Other.</p>");
    }

    @Test
    void textFullOfUnmatchedDelimitersRendersInLinearTime() {
        // A quadratic parser needs minutes for this; a linear one well under a second.
        double millis = ((Number)
                        page.evaluate("async () => { const { renderMarkdown } = await import('/ui/markdown.js');"
                                + " const text = '`' + '[a *b _c ~~e **f ![g <h ('.repeat(8000);"
                                + " const target = document.createElement('div'); const start = performance.now();"
                                + " renderMarkdown(target, text); const took = performance.now() - start;"
                                + " if (target.textContent !== text) throw new Error('text changed'); return took; }"))
                .doubleValue();

        assertThat(millis).as("milliseconds to render 200 kB").isLessThan(5_000);
    }

    /** The HTML markdown.js builds for a fenced code block. */
    private static String code(String lang, String escapedCode, boolean closed) {
        List<String> parts = new ArrayList<>();
        parts.add("<div class=\"code-block\" data-closed=\"" + closed + "\"><div class=\"code-head\">");
        parts.add("<span class=\"code-lang\">" + (lang.isEmpty() ? "text" : lang) + "</span>");
        parts.add("<button class=\"copy-code\" type=\"button\" aria-label=\""
                + (lang.isEmpty() ? "Copy code" : "Copy " + lang + " code") + "\">Copy</button></div>");
        parts.add("<pre tabindex=\"0\"" + (lang.isEmpty() ? "" : " data-lang=\"" + lang + "\"") + "><code>"
                + escapedCode + "</code></pre></div>");
        return String.join("", parts);
    }

    private String render(String markdown) {
        return (String) page.evaluate(
                "async (text) => { const { renderMarkdown } = await import('/ui/markdown.js');"
                        + " const target = document.createElement('div'); renderMarkdown(target, text);"
                        + " return target.innerHTML; }",
                markdown);
    }
}
