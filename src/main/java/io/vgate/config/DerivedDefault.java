package io.vgate.config;

import io.smallrye.config.ConfigSourceInterceptor;
import io.smallrye.config.ConfigSourceInterceptorContext;
import io.smallrye.config.ConfigValue;

/**
 * Answers one property, when nobody set it, from other settings: a default that follows the configuration
 * instead of a fixed one.
 * <p>
 * A value from a source of ordinal 100 or more (application.properties, system properties, the environment) is
 * someone's choice and always wins; a blank or lower-ordinal value (an extension's built-in default) is replaced
 * by {@link #derive}. Subclasses are registered in
 * {@code META-INF/services/io.smallrye.config.ConfigSourceInterceptor}.
 */
public abstract class DerivedDefault implements ConfigSourceInterceptor {

    /** Values from sources below this ordinal are defaults, not a choice someone made. */
    private static final int LOWEST_EXPLICIT_ORDINAL = 100;

    private final String property;

    protected DerivedDefault(String property) {
        this.property = property;
    }

    /** The value to answer for the property, read from other settings through {@code context}. */
    protected abstract String derive(ConfigSourceInterceptorContext context);

    @Override
    public final ConfigValue getValue(ConfigSourceInterceptorContext context, String name) {
        ConfigValue value = context.proceed(name);
        if (!property.equals(name) || isExplicit(value)) {
            return value;
        }
        String derived = derive(context);
        return value != null
                ? value.withValue(derived)
                : ConfigValue.builder()
                        .withName(name)
                        .withValue(derived)
                        .withConfigSourceName(getClass().getSimpleName())
                        .withConfigSourceOrdinal(Integer.MIN_VALUE)
                        .build();
    }

    /** Whether {@code value} was set, not blank, by a source that counts as someone's choice. */
    protected static boolean isExplicit(ConfigValue value) {
        return value != null
                && value.getValue() != null
                && !value.getValue().isBlank()
                && value.getConfigSourceOrdinal() >= LOWEST_EXPLICIT_ORDINAL;
    }

    /** The trimmed text of {@code value}; empty when it is unset. */
    protected static String text(ConfigValue value) {
        return value == null || value.getValue() == null ? "" : value.getValue().trim();
    }
}
