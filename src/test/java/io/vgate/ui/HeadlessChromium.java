package io.vgate.ui;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Playwright;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;

/**
 * One headless Chromium per test class, driven by Playwright. It is the system's browser (Debian's
 * {@code chromium}, installed by {@code .ci/install-deps}): Playwright never downloads one, and the browser is
 * started with everything that would phone home switched off, so the tests run in a closed network.
 * {@code -Dvgate.test.chromium=/path/to/chrome} picks another binary.
 */
final class HeadlessChromium implements AutoCloseable {

    /** Where the tests leave screenshots for review. */
    static final Path SCREENSHOTS = Paths.get("target", "ui-screenshots");

    private static final String DEFAULT_BINARY = "/usr/bin/chromium";
    private static final List<String> ARGS = List.of(
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--disable-extensions",
            "--metrics-recording-only",
            "--mute-audio");

    private final Playwright playwright;
    private final Browser browser;

    private HeadlessChromium(Playwright playwright, Browser browser) {
        this.playwright = playwright;
        this.browser = browser;
    }

    static HeadlessChromium launch() {
        Path binary = Paths.get(System.getProperty("vgate.test.chromium", DEFAULT_BINARY));
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException("No Chromium at " + binary
                    + ": run .ci/install-deps (Debian's chromium) or pass -Dvgate.test.chromium=<browser binary>");
        }
        Playwright playwright = Playwright.create(
                new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
        try {
            Browser browser = playwright
                    .chromium()
                    .launch(new BrowserType.LaunchOptions()
                            .setExecutablePath(binary)
                            .setHeadless(true)
                            .setChromiumSandbox(false)
                            .setArgs(ARGS));
            return new HeadlessChromium(playwright, browser);
        } catch (RuntimeException e) {
            playwright.close();
            throw e;
        }
    }

    Browser browser() {
        return browser;
    }

    @Override
    public void close() {
        try {
            browser.close();
        } finally {
            playwright.close();
        }
    }
}
