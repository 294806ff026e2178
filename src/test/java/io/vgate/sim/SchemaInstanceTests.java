package io.vgate.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SchemaInstanceTests {

    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

    static JsonNode parse(String json) {
        return SimClient.parse(json);
    }

    static void assertValid(String schemaJson, String instance) {
        JsonSchema schema = FACTORY.getSchema(parse(schemaJson));
        assertThat(schema.validate(parse(instance))).as(instance).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},\"unit\":{\"type\":\"string\","
                        + "\"enum\":[\"celsius\",\"fahrenheit\"]}},\"required\":[\"city\"],"
                        + "\"additionalProperties\":false}",
                "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":5,\"maximum\":9},"
                        + "\"x\":{\"type\":\"number\",\"exclusiveMinimum\":0,\"exclusiveMaximum\":1},"
                        + "\"m\":{\"type\":\"integer\",\"multipleOf\":7,\"minimum\":10,\"maximum\":60}},"
                        + "\"required\":[\"n\",\"x\",\"m\"],\"additionalProperties\":false}",
                "{\"type\":\"object\",\"properties\":{\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\","
                        + "\"minLength\":3,\"maxLength\":8},\"minItems\":2,\"maxItems\":4,\"uniqueItems\":true}},"
                        + "\"required\":[\"tags\"]}",
                "{\"type\":\"object\",\"properties\":{\"person\":{\"type\":\"object\",\"properties\":{"
                        + "\"name\":{\"type\":\"string\"},\"age\":{\"type\":\"integer\",\"minimum\":0},"
                        + "\"address\":{\"type\":\"object\",\"properties\":{\"zip\":{\"type\":\"string\","
                        + "\"pattern\":\"^[0-9]{5}$\"}},\"required\":[\"zip\"],\"additionalProperties\":false}},"
                        + "\"required\":[\"name\",\"age\",\"address\"],\"additionalProperties\":false}},"
                        + "\"required\":[\"person\"],\"additionalProperties\":false}",
                "{\"$defs\":{\"Item\":{\"type\":\"object\",\"properties\":{\"sku\":{\"type\":\"string\","
                        + "\"format\":\"uuid\"},\"when\":{\"type\":\"string\",\"format\":\"date-time\"}},"
                        + "\"required\":[\"sku\",\"when\"]}},\"type\":\"object\",\"properties\":{\"items\":{"
                        + "\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/Item\"}}},\"required\":[\"items\"]}",
                "{\"type\":\"object\",\"properties\":{\"v\":{\"anyOf\":[{\"type\":\"string\"},{\"type\":\"null\"}]},"
                        + "\"k\":{\"type\":[\"integer\",\"null\"]},\"c\":{\"const\":\"fixed\"},\"b\":{\"type\":"
                        + "\"boolean\"},\"a\":{\"allOf\":[{\"type\":\"object\",\"properties\":{\"p\":{\"type\":"
                        + "\"string\"}},\"required\":[\"p\"]},{\"properties\":{\"q\":{\"type\":\"integer\"}},"
                        + "\"required\":[\"q\"]}]}},\"required\":[\"v\",\"k\",\"c\",\"b\",\"a\"]}",
                "{\"type\":\"array\",\"prefixItems\":[{\"type\":\"integer\"},{\"type\":\"string\",\"format\":"
                        + "\"email\"}],\"items\":false,\"minItems\":2,\"maxItems\":2}"
            })
    void writesInstancesThatValidateForEverySeed(String schema) {
        for (long seed = 0; seed < 200; seed++) {
            assertValid(schema, SchemaInstance.generate(parse(schema), new SplittableRandom(seed)));
        }
    }

    @Test
    void isDeterministicForOneSeedAndVariesAcrossSeeds() {
        JsonNode schema = parse("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},"
                + "\"days\":{\"type\":\"integer\"}},\"required\":[\"city\",\"days\"]}");
        Set<String> seen = new HashSet<>();
        for (long seed = 0; seed < 20; seed++) {
            String a = SchemaInstance.generate(schema, new SplittableRandom(seed));
            assertThat(SchemaInstance.generate(schema, new SplittableRandom(seed)))
                    .isEqualTo(a);
            seen.add(a);
        }
        assertThat(seen).hasSizeGreaterThan(10);
    }

    @Test
    void writesPythonJsonDumpsSpacing() {
        String out = SchemaInstance.generate(
                parse("{\"type\":\"object\",\"properties\":{\"a\":{\"const\":1},\"b\":{\"const\":[1,\"x\"]}},"
                        + "\"required\":[\"a\",\"b\"]}"),
                new SplittableRandom(1));

        assertThat(out).isEqualTo("{\"a\": 1, \"b\": [1, \"x\"]}");
    }

    @Test
    void includesOptionalPropertiesOnlySometimes() {
        JsonNode schema = parse("{\"type\":\"object\",\"properties\":{\"must\":{\"type\":\"string\"},"
                + "\"may\":{\"type\":\"string\"}},\"required\":[\"must\"]}");
        int with = 0;
        for (long seed = 0; seed < 100; seed++) {
            JsonNode value = parse(SchemaInstance.generate(schema, new SplittableRandom(seed)));
            assertThat(value.has("must")).isTrue();
            with += value.has("may") ? 1 : 0;
        }
        assertThat(with).isBetween(20, 80);
    }

    @Test
    void writesSomeObjectWithoutASchema() {
        for (long seed = 0; seed < 50; seed++) {
            assertThat(parse(SchemaInstance.anyObject(new SplittableRandom(seed)))
                            .isObject())
                    .isTrue();
        }
    }
}
