package io.vgate.deploy;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import io.vgate.api.ApiConfig;
import io.vgate.auth.AuthConfig;
import io.vgate.edge.EdgeConfig;
import io.vgate.metrics.MetricsConfig;
import io.vgate.ratelimit.RateLimitConfig;
import io.vgate.shaping.ShapingConfig;
import io.vgate.sim.SimulatorConfig;
import io.vgate.streaming.StreamingConfig;
import io.vgate.ui.UiConfig;
import io.vgate.upstream.UpstreamConfig;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The code defaults of vgate's settings, keyed by the environment variable a ConfigMap sets them with
 * ({@code vgate.shaping.max-queue} → {@code VGATE_SHAPING_MAX_QUEUE}), read from the {@code @WithDefault}
 * annotations of every feature's {@code @ConfigMapping}, so the manifest checks know what a missing entry
 * means and which entries only repeat a default.
 */
final class CodeDefaults {

    private static final List<Class<?>> MAPPINGS = List.of(
            ApiConfig.class,
            AuthConfig.class,
            EdgeConfig.class,
            MetricsConfig.class,
            RateLimitConfig.class,
            ShapingConfig.class,
            SimulatorConfig.class,
            StreamingConfig.class,
            UiConfig.class,
            UpstreamConfig.class);

    private static final Map<String, String> BY_ENV = read();

    private CodeDefaults() {}

    /** The default of the setting environment variable {@code env} names, or {@code null} when it has none. */
    static String of(String env) {
        return BY_ENV.get(env);
    }

    private static Map<String, String> read() {
        Map<String, String> defaults = new HashMap<>();
        for (Class<?> mapping : MAPPINGS) {
            collect(mapping, mapping.getAnnotation(ConfigMapping.class).prefix(), defaults);
        }
        return Map.copyOf(defaults);
    }

    private static void collect(Class<?> type, String prefix, Map<String, String> defaults) {
        for (Method method : type.getMethods()) {
            if (method.getParameterCount() > 0 || Modifier.isStatic(method.getModifiers()) || method.isDefault()) {
                continue;
            }
            WithName named = method.getAnnotation(WithName.class);
            String name = prefix + "." + (named != null ? named.value() : kebab(method.getName()));
            WithDefault value = method.getAnnotation(WithDefault.class);
            if (value != null) {
                defaults.put(env(name), value.value());
            } else if (method.getReturnType().isInterface()
                    && method.getReturnType().getName().startsWith("io.vgate.")) {
                collect(method.getReturnType(), name, defaults);
            }
        }
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    private static String env(String property) {
        return property.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }
}
