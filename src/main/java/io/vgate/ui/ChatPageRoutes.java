package io.vgate.ui;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;

/**
 * The chat page's own response headers. The page itself is four static files under
 * {@code META-INF/resources} ({@code /index.html}, {@code /ui/chat.js}, {@code /ui/markdown.js},
 * {@code /ui/chat.css}, plus an icon), served by Quarkus's static handler; this class runs just before that
 * handler on exactly those paths and adds a strict Content-Security-Policy and the other browser hardening
 * headers. {@code /v1/*}, health and metrics never pass through it.
 *
 * <p>The policy allows scripts, styles, images and {@code fetch} from vgate's own origin only, no inline code,
 * no plugins, no framing, and turns on Trusted Types so that no string can ever reach an HTML sink such as
 * {@code innerHTML}: the page renders model output and server messages as text nodes, and the browser enforces
 * that it keeps doing so.</p>
 */
@ApplicationScoped
public class ChatPageRoutes {

    /** The page's Content-Security-Policy. */
    public static final String CONTENT_SECURITY_POLICY = String.join(
            "; ",
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

    /** Paths of the page and its assets; everything else (the API above all) is left alone. */
    static final List<String> PATHS = List.of("/", "/index.html", "/ui/*");

    /** Header names and values, in pairs. */
    private static final CharSequence[][] PAGE_HEADERS = {
        header("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        header("X-Content-Type-Options", "nosniff"),
        header("Referrer-Policy", "no-referrer"),
        // Older browsers ignore frame-ancestors.
        header("X-Frame-Options", "DENY"),
        header("Cross-Origin-Opener-Policy", "same-origin"),
        header("Cross-Origin-Resource-Policy", "same-origin"),
        header("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
        // The static handler marks files immutable for a day; the page is not versioned by file name, so
        // browsers revalidate (a cheap 304) and pick up a new vgate release at once.
        header("Cache-Control", "no-cache")
    };

    private final boolean enabled;

    public ChatPageRoutes(UiConfig config) {
        this.enabled = config.enabled();
    }

    void mount(@Observes Router router) {
        for (String path : PATHS) {
            router.route(path).method(HttpMethod.GET).method(HttpMethod.HEAD).handler(this::page);
        }
    }

    private void page(RoutingContext context) {
        if (!enabled) {
            context.response().setStatusCode(404).end();
            return;
        }
        MultiMap headers = context.response().headers();
        // Set when the head is written, so the static handler that runs next cannot override them.
        context.addHeadersEndHandler(v -> {
            for (CharSequence[] header : PAGE_HEADERS) {
                headers.set(header[0], header[1]);
            }
        });
        context.next();
    }

    private static CharSequence[] header(String name, String value) {
        return new CharSequence[] {HttpHeaders.createOptimized(name), HttpHeaders.createOptimized(value)};
    }
}
