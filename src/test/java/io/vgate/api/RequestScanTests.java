package io.vgate.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * The streaming scan against what a whole JSON tree says about the same bytes: the same fields, the same errors
 * with the same messages, the same numbers for the bound of context fitting (or a safer one), and edits spliced
 * into the bytes that mean what the same edits made in a tree mean.
 */
class RequestScanTests {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final ObjectMapper STRICT = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private static final RequestParser.Limits LIMITS = new RequestParser.Limits(3, 16, 1_048_576);
    private final RequestParser parser = new RequestParser(MAPPER, LIMITS);

    @Property(tries = 3000)
    void readsAndRejectsWhatATreeDoes(@ForAll long seed, @ForAll ApiRoute route, @ForAll boolean plausible) {
        String body = new RandomBodies(seed).body(plausible);

        assertThat(scanned(route, body)).as(body).isEqualTo(TreeOracle.parse(route, body, LIMITS));
    }

    @Property(tries = 3000)
    void addsUpWhatTheBoundNeedsAsATreeDoes(@ForAll long seed) {
        String body = new RandomBodies(seed).body(true);
        InferenceRequest request;
        try {
            request = parse(ApiRoute.CHAT_COMPLETIONS, body);
        } catch (ApiException e) {
            return;
        }
        ObjectNode tree = tree(body);
        RequestScan scan = request.scan();
        ArrayNode messages = (ArrayNode) tree.get("messages");

        assertThat(scan.messageCount()).as(body).isEqualTo(messages.size());
        assertThat(scan.boundable()).as(body).isEqualTo(TreeOracle.boundable(messages));
        assertThat(new int[] {scan.images(), scan.audios(), scan.videos()})
                .as(body)
                .isEqualTo(TreeOracle.media(messages));
        assertThat(scan.toolCalls()).as(body).isEqualTo(TreeOracle.toolCalls(messages));
        assertThat(scan.hasChatTemplate()).as(body).isEqualTo(tree.has("chat_template"));
        JsonNode tools = tree.get("tools");
        if (tools != null && tools.isArray() && !tools.isEmpty()) {
            assertThat(scan.toolsLength())
                    .as("never less than the compact text the bound used to add: " + body)
                    .isGreaterThanOrEqualTo(tools.toString().length());
        } else {
            assertThat(scan.toolsLength()).as(body).isEqualTo(-1);
        }
    }

    @Property(tries = 1000)
    void countsAPromptOfTokenIdsAsATreeDoes(@ForAll long seed) {
        String body = new RandomBodies(seed).body(true);
        InferenceRequest request;
        try {
            request = parse(ApiRoute.COMPLETIONS, body);
        } catch (ApiException e) {
            return;
        }
        JsonNode prompt = tree(body).get("prompt");
        int ids = prompt.isArray() && !prompt.isEmpty() && prompt.get(0).isNumber() ? prompt.size() : -1;

        assertThat(request.scan().promptTokenIds()).as(body).isEqualTo(ids);
    }

    @Property(tries = 3000)
    void splicedEditsMeanWhatTreeEditsMean(@ForAll long seed, @ForAll boolean generating) {
        var random = new RandomBodies(seed);
        ApiRoute route = generating ? ApiRoute.CHAT_COMPLETIONS : ApiRoute.EMBEDDINGS;
        String body = random.body(true);
        InferenceRequest request;
        try {
            request = parse(route, body);
        } catch (ApiException e) {
            return;
        }
        ObjectNode expected = TreeOracle.normalised(route, tree(body));
        int edits = random.nextInt(5);
        for (int i = 0; i < edits; i++) {
            switch (random.nextInt(6)) {
                case 0 -> {
                    String model = random.pick(java.util.List.of("served", "q\"uo\\te", "caf\u00e9"));
                    request.rewriteModel(model);
                    expected.put("model", model);
                }
                case 1 -> {
                    request.set("priority", i - 1L);
                    expected.put("priority", i - 1);
                }
                case 2 -> {
                    request.set("request_id", "resp_" + i);
                    expected.put("request_id", "resp_" + i);
                }
                case 3 -> {
                    request.set("cache_salt", "salt" + i);
                    expected.put("cache_salt", "salt" + i);
                }
                case 4 -> {
                    request.set("max_tokens", 7L + i);
                    expected.put("max_tokens", 7 + i);
                }
                default -> {
                    request.askForUsage();
                    var options = expected.get("stream_options") instanceof ObjectNode existing
                            ? existing
                            : expected.putObject("stream_options");
                    options.put("include_usage", true);
                }
            }
        }
        Buffer sent = request.bytesToSend(MAPPER);

        JsonNode forwarded = readTree(MAPPER, sent);
        if (!request.scan().duplicateNames()) {
            assertThat(topLevelNames(sent)).as("no name added twice: " + sent).doesNotHaveDuplicates();
        }
        // Both written and read back once, as a tree writes 1e400 as "Infinity".
        assertThat(rewritten(forwarded)).as(body + "\n-> " + sent).isEqualTo(rewritten(expected));
        if (!request.modified()) {
            assertThat(sent).as("untouched: the client's own bytes").isSameAs(request.originalBytes());
        }
    }

    @Test
    void forwardsAnUntouchedBodyAsTheClientsExactBytesWithoutATree() {
        Buffer original = Buffer.buffer(
                "{ \"model\" :\"m\",\n\t\"messages\":[{\"role\":\"user\",\"content\":\"hi \\u00e9\"}],"
                        + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"minimum\":1e2}}}] }");
        InferenceRequest request = parser.parse(ApiRoute.CHAT_COMPLETIONS, "application/json", original);

        assertThat(request.treeBuilt()).isFalse();
        assertThat(request.bytesToSend(MAPPER)).isSameAs(original);
        assertThat(request.treeBuilt()).isFalse();
    }

    @Test
    void splicesSmallEditsIntoTheClientsBytes() {
        InferenceRequest request =
                parse(ApiRoute.CHAT_COMPLETIONS, "{ \"model\" : \"alias\" , \"messages\":[] ,\"max_tokens\":1e3\n}");

        request.rewriteModel("served");
        request.set("priority", 2);
        request.askForUsage();

        assertThat(request.bytesToSend(MAPPER).toString())
                .isEqualTo("{ \"model\" : \"served\" , \"messages\":[] ,\"max_tokens\":1000\n"
                        + ",\"priority\":2,\"stream_options\":{\"include_usage\":true}}");
        assertThat(request.treeBuilt()).as("no tree for small edits").isFalse();
    }

    @Test
    void skipsNestedValuesThatHoldRoutingNames() {
        InferenceRequest request = parse(
                ApiRoute.CHAT_COMPLETIONS,
                "{\"metadata\":{\"model\":7,\"messages\":\"x\",\"stream\":\"yes\"},\"x\":[[{\"n\":0}]],"
                        + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"model\":1}]}]}");

        assertThat(request.model()).isNull();
        assertThat(request.stream()).isFalse();
        assertThat(request.scan().messageCount()).isEqualTo(1);
    }

    @Test
    void keepsTheLastOfDuplicateKeysAsATreeDoes() {
        InferenceRequest request = parse(
                ApiRoute.CHAT_COMPLETIONS,
                "{\"model\":7,\"messages\":\"x\",\"model\":\"b\",\"messages\":[{},{}],\"stream\":1,\"stream\":true}");

        assertThat(request.model()).isEqualTo("b");
        assertThat(request.stream()).isTrue();
        assertThat(request.scan().messageCount()).isEqualTo(2);

        request.rewriteModel("served");
        assertThat(readTree(MAPPER, request.bytesToSend(MAPPER)).get("model").asText())
                .as("a name written twice is edited in a tree")
                .isEqualTo("served");
    }

    @Test
    void reportsBrokenJsonWithTheParsersMessage() {
        for (String broken : new String[] {
            "{\"messages\":", "{\"a\":[1,2}", "\"abc", "[1,2", "{\"a\":tru}", "{\"a\":1,}", "{\"a\" 1}", "nul"
        }) {
            String expected = TreeOracle.parse(ApiRoute.CHAT_COMPLETIONS, broken, LIMITS);
            assertThat(scanned(ApiRoute.CHAT_COMPLETIONS, broken))
                    .as(broken)
                    .startsWith("error invalid_json")
                    .isEqualTo(expected);
        }
    }

    @Test
    void agreesWithATreeOnBodiesAtJacksonsLimits() {
        String digits = "9".repeat(1500);
        for (String body : new String[] {
            "{\"x\":" + digits + ",\"messages\":[]}",
            "{\"x\":1." + digits + ",\"messages\":[]}",
            "{\"x\":" + "[".repeat(1200) + "]".repeat(1200) + ",\"messages\":[]}",
            "{\"messages\":[]} trailing",
            "   ",
            "{\"messages\":[],\"max_tokens\":" + digits + "}"
        }) {
            assertThat(scanned(ApiRoute.CHAT_COMPLETIONS, body))
                    .as(body.length() > 80 ? body.substring(0, 80) : body)
                    .isEqualTo(TreeOracle.parse(ApiRoute.CHAT_COMPLETIONS, body, LIMITS));
        }
    }

    private String scanned(ApiRoute route, String body) {
        try {
            InferenceRequest request = parse(route, body);
            return "ok model=" + request.model() + " stream=" + request.stream() + " usage="
                    + request.clientAskedForUsage() + " max_tokens=" + request.tokenCount("max_tokens")
                    + " max_completion_tokens=" + request.tokenCount("max_completion_tokens") + " max_output_tokens="
                    + request.tokenCount("max_output_tokens") + " modified=" + request.modified();
        } catch (ApiException e) {
            return "error " + e.error().code() + " " + e.error().param() + " "
                    + e.error().message();
        }
    }

    private InferenceRequest parse(ApiRoute route, String body) {
        return parser.parse(route, "application/json", Buffer.buffer(body.getBytes(StandardCharsets.UTF_8)));
    }

    private static ObjectNode tree(String body) {
        try {
            return (ObjectNode) MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    private static JsonNode rewritten(JsonNode tree) {
        try {
            return MAPPER.readTree(MAPPER.writeValueAsBytes(tree));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static java.util.List<String> topLevelNames(Buffer bytes) {
        var names = new java.util.ArrayList<String>();
        try (JsonParser p = MAPPER.createParser(bytes.getBytes())) {
            p.nextToken();
            while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                names.add(p.currentName());
                p.nextToken();
                p.skipChildren();
            }
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        return names;
    }

    private static JsonNode readTree(ObjectMapper mapper, Buffer bytes) {
        try {
            return mapper.readTree(bytes.getBytes());
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + bytes, e);
        }
    }

    /** What the parser read with a whole tree, before the scan: the reference the scan must agree with. */
    static final class TreeOracle {

        static String parse(ApiRoute route, String json, RequestParser.Limits limits) {
            JsonNode tree;
            try {
                tree = MAPPER.readTree(json.getBytes(StandardCharsets.UTF_8));
            } catch (JsonProcessingException e) {
                return "error invalid_json null The request body is not valid JSON: " + e.getOriginalMessage();
            } catch (java.io.IOException e) {
                return "error invalid_json null The request body could not be read as JSON.";
            }
            try {
                return fields(route, tree, limits);
            } catch (ApiException e) {
                return "error " + e.error().code() + " " + e.error().param() + " "
                        + e.error().message();
            }
        }

        private static String fields(ApiRoute route, JsonNode tree, RequestParser.Limits limits) {
            if (!(tree instanceof ObjectNode body)) {
                throw new ApiException(ApiError.invalidJson("The request body must be a JSON object."));
            }
            String model = null;
            JsonNode m = body.get("model");
            if (m != null && !m.isNull()) {
                if (!m.isTextual()) {
                    throw new ApiException(ApiError.invalidType("model", "a string"));
                }
                model = m.textValue();
            }
            boolean stream = false;
            JsonNode s = body.get("stream");
            if (s != null && !s.isNull()) {
                if (!s.isBoolean()) {
                    throw new ApiException(ApiError.invalidType("stream", "a boolean"));
                }
                stream = s.booleanValue();
            }
            boolean usage = false;
            JsonNode options = body.get("stream_options");
            if (options != null && !options.isNull()) {
                if (!options.isObject()) {
                    throw new ApiException(ApiError.invalidType("stream_options", "an object"));
                }
                JsonNode include = options.get("include_usage");
                usage = include == null || include.isNull() || include.asBoolean(false);
            }
            switch (route) {
                case CHAT_COMPLETIONS -> {
                    JsonNode messages = body.get("messages");
                    if (messages == null || messages.isNull()) {
                        throw new ApiException(ApiError.missingParameter("messages"));
                    }
                    if (!messages.isArray()) {
                        throw new ApiException(ApiError.invalidType("messages", "an array"));
                    }
                    if (messages.size() > limits.maxMessages()) {
                        throw new ApiException(ApiError.invalidValue(
                                "messages", "Too many messages: at most " + limits.maxMessages() + " are accepted."));
                    }
                }
                case COMPLETIONS -> present(body, "prompt");
                case EMBEDDINGS -> present(body, "input");
                default -> {}
            }
            boolean modified = false;
            long[] counts = {-1, -1, -1};
            if (route.generates()) {
                String[] fields = {"max_tokens", "max_completion_tokens", "max_output_tokens"};
                for (int i = 0; i < 3; i++) {
                    if (i == 2 && route != ApiRoute.RESPONSES) {
                        continue;
                    }
                    JsonNode value = body.get(fields[i]);
                    if (value == null || value.isNull()) {
                        continue;
                    }
                    if (!value.isNumber() || !value.canConvertToExactIntegral()) {
                        throw new ApiException(ApiError.invalidType(fields[i], "an integer"));
                    }
                    if (!value.canConvertToLong()
                            || value.longValue() < 0
                            || value.longValue() > limits.maxTokensCeiling()) {
                        throw new ApiException(ApiError.invalidValue(
                                fields[i],
                                "'" + fields[i] + "' must be between 0 and " + limits.maxTokensCeiling() + "."));
                    }
                    counts[i] = value.longValue();
                    modified |= !value.isIntegralNumber();
                }
                JsonNode n = body.get("n");
                if (n != null && !n.isNull()) {
                    if (!n.isNumber() || !n.canConvertToExactIntegral()) {
                        throw new ApiException(ApiError.invalidType("n", "an integer"));
                    }
                    if (!n.canConvertToInt() || n.intValue() < 1 || n.intValue() > limits.maxN()) {
                        throw new ApiException(
                                ApiError.invalidValue("n", "'n' must be between 1 and " + limits.maxN() + "."));
                    }
                }
            }
            return "ok model=" + model + " stream=" + stream + " usage=" + usage + " max_tokens=" + counts[0]
                    + " max_completion_tokens=" + counts[1] + " max_output_tokens=" + counts[2] + " modified="
                    + modified;
        }

        private static void present(ObjectNode body, String field) {
            JsonNode value = body.get(field);
            if (value == null || value.isNull()) {
                throw new ApiException(ApiError.missingParameter(field));
            }
        }

        /** The body as the parser left it: whole float counts rewritten as integers. */
        static ObjectNode normalised(ApiRoute route, ObjectNode body) {
            if (route.generates()) {
                for (String field : new String[] {"max_tokens", "max_completion_tokens"}) {
                    JsonNode value = body.get(field);
                    if (value != null && value.isFloatingPointNumber()) {
                        body.put(field, value.intValue());
                    }
                }
            }
            return body;
        }

        static boolean boundable(ArrayNode messages) {
            for (JsonNode message : messages) {
                JsonNode content = message.get("content");
                if (content == null || content.isNull() || content.isTextual()) {
                    continue;
                }
                if (!content.isArray()) {
                    return false;
                }
                for (JsonNode part : content) {
                    String type = part.path("type").asText("");
                    boolean text =
                            part.isTextual() || "text".equals(part.path("type").asText());
                    if (!text && !type.matches("image_url|image_embeds|input_audio|audio_url|audio_embeds|video_url")) {
                        return false;
                    }
                }
            }
            return true;
        }

        static int[] media(ArrayNode messages) {
            int[] counts = new int[3];
            for (JsonNode message : messages) {
                JsonNode content = message.get("content");
                if (content == null || !content.isArray()) {
                    continue;
                }
                for (JsonNode part : content) {
                    switch (part.path("type").asText("")) {
                        case "image_url", "image_embeds" -> counts[0]++;
                        case "input_audio", "audio_url", "audio_embeds" -> counts[1]++;
                        case "video_url" -> counts[2]++;
                        default -> {}
                    }
                }
            }
            return counts;
        }

        static int toolCalls(ArrayNode messages) {
            int calls = 0;
            for (JsonNode message : messages) {
                JsonNode value = message.get("tool_calls");
                if (value != null && value.isArray()) {
                    calls += value.size();
                }
            }
            return calls;
        }
    }
}
