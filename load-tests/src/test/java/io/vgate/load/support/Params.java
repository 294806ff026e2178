package io.vgate.load.support;

import java.time.Duration;
import java.util.Locale;

/**
 * Scenario parameters: a system property ({@code -Dchat.users=50}) or else the matching environment variable
 * ({@code CHAT_USERS=50}: dots and camel case become underscores, upper case), or else the default. Every scenario
 * lists its parameters and defaults in its header comment.
 */
public final class Params {

    private Params() {
    }

    public static String string(String name, String fallback) {
        String v = System.getProperty(name);
        if (v == null || v.isBlank()) {
            v = System.getenv(envName(name));
        }
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    public static int integer(String name, int fallback) {
        return Integer.parseInt(string(name, Integer.toString(fallback)));
    }

    public static double decimal(String name, double fallback) {
        return Double.parseDouble(string(name, Double.toString(fallback)));
    }

    public static boolean flag(String name, boolean fallback) {
        return Boolean.parseBoolean(string(name, Boolean.toString(fallback)));
    }

    /** A duration written as {@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h} or plain seconds. */
    public static Duration duration(String name, String fallback) {
        String t = string(name, fallback).toLowerCase(Locale.ROOT);
        if (t.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
        }
        if (t.endsWith("h")) {
            return Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1)));
        }
        if (t.endsWith("m")) {
            return Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
        }
        if (t.endsWith("s")) {
            t = t.substring(0, t.length() - 1);
        }
        return Duration.ofMillis((long) (Double.parseDouble(t) * 1000));
    }

    /** {@code chat.maxTokens} → {@code CHAT_MAX_TOKENS}. */
    static String envName(String name) {
        return name.replaceAll("([a-z0-9])([A-Z])", "$1_$2").replace('.', '_').replace('-', '_').toUpperCase(Locale.ROOT);
    }
}
