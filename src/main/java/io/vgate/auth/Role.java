package io.vgate.auth;

import java.util.Locale;

/** What a caller may do beyond inference; from the keys file's {@code role} or a JWT's role claim. */
public enum Role {
    /** Inference, tokenizer and model-list routes. The default. */
    USER,
    /** Also the administration routes: loading and unloading LoRA adapters. */
    ADMIN;

    /** The role named {@code name} ({@code user}, {@code admin}, any case), or {@code null} for another name. */
    static Role named(String name) {
        if (name == null) {
            return null;
        }
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "user" -> USER;
            case "admin" -> ADMIN;
            default -> null;
        };
    }
}
