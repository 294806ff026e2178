package io.vgate.sim;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Path;

/**
 * {@code POST /v1/load_lora_adapter} and {@code POST /v1/unload_lora_adapter}, which exist only with runtime LoRA
 * updating on ({@link ServingSettings#allowRuntimeLoraUpdating()}, checked by {@link ServingGate}). The simulator
 * loads no weights: an absolute path must exist on its machine (else vLLM's 404), any other path (a hub id, a
 * relative or remote path) is taken as found. Success is vLLM's plain-text answer with no content type.
 */
final class LoraRoutes {

    private final LoraAdapters adapters;

    LoraRoutes(LoraAdapters adapters) {
        this.adapters = adapters;
    }

    void load(RoutingContext rc, Buffer raw) {
        RequestReader r = RequestReader.of(rc.request(), raw);
        String name = r.optString("lora_name");
        String path = r.optString("lora_path");
        if (!r.present("lora_name")) {
            r.error("missing", "Field required", r.body(), "lora_name");
        }
        if (!r.present("lora_path")) {
            r.error("missing", "Field required", r.body(), "lora_path");
        }
        boolean inPlace = r.bool("load_inplace", false);
        r.bool("is_3d_lora_weight", false);
        r.throwIfInvalid();
        if (name == null || name.isEmpty() || path == null || path.isEmpty()) {
            throw invalidInput("Both 'lora_name' and 'lora_path' must be provided.");
        }
        if (adapters.contains(name) && !inPlace) {
            throw invalidInput("The lora adapter '" + name + "' has already been loaded. If you want to load the"
                    + " adapter in place, set 'load_inplace' to True.");
        }
        if (!Path.of(path).isAbsolute()) {
            added(rc, name, path);
            return;
        }
        rc.vertx().fileSystem().exists(path).onComplete(exists -> {
            if (exists.succeeded() && exists.result()) {
                added(rc, name, path);
            } else {
                SimRoutes.sendError(
                        rc.response(),
                        new SimError(
                                404,
                                "NotFoundError",
                                "Loading lora " + name + " failed: No adapter found for " + path,
                                null));
            }
        });
    }

    private void added(RoutingContext rc, String name, String path) {
        adapters.put(name, path);
        rc.response().end("Success: LoRA adapter '" + name + "' added successfully.");
    }

    void unload(RoutingContext rc, Buffer raw) {
        RequestReader r = RequestReader.of(rc.request(), raw);
        String name = r.optString("lora_name");
        if (!r.present("lora_name")) {
            r.error("missing", "Field required", r.body(), "lora_name");
        }
        r.optLong("lora_int_id");
        r.throwIfInvalid();
        if (name == null || name.isEmpty()) {
            throw invalidInput("'lora_name' needs to be provided to unload a LoRA adapter.");
        }
        if (!adapters.remove(name)) {
            throw new SimError(404, "NotFoundError", "The lora adapter '" + name + "' cannot be found.", null);
        }
        rc.response().end("Success: LoRA adapter '" + name + "' removed successfully.");
    }

    private static SimError invalidInput(String message) {
        return new SimError(400, "InvalidUserInput", message, null);
    }
}
