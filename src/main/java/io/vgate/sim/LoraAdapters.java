package io.vgate.sim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The LoRA adapters loaded at run time ({@code /v1/load_lora_adapter}), in load order: each is served under its name,
 * listed by {@code /v1/models} with the base model as {@code parent}, and named in answers as {@code model}.
 */
final class LoraAdapters {

    /** One loaded adapter. */
    record Adapter(String name, String path) {}

    private final Map<String, Adapter> adapters = new LinkedHashMap<>();

    synchronized boolean contains(String name) {
        return adapters.containsKey(name);
    }

    /** Adds or replaces (in place) an adapter. */
    synchronized void put(String name, String path) {
        adapters.put(name, new Adapter(name, path));
    }

    synchronized boolean remove(String name) {
        return adapters.remove(name) != null;
    }

    synchronized List<Adapter> list() {
        return new ArrayList<>(adapters.values());
    }

    synchronized void clear() {
        adapters.clear();
    }
}
