package io.vgate.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vgate.security.SecuredFixture;
import io.vgate.shaping.PriorityClasses;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The keys file's {@code role} and {@code models}: who may administer, and which models a key may use. */
class KeyRolesAndModelsTests {

    private static final String HASH = SecuredFixture.hash("sk-roles");

    private static Caller parse(String yaml) {
        return KeyFile.parse(
                        yaml.getBytes(StandardCharsets.UTF_8), new PriorityClasses(List.of("interactive", "batch")))
                .values()
                .iterator()
                .next()
                .caller();
    }

    @Test
    void aKeyWithoutRoleOrModelsIsAUserOfEveryModel() {
        Caller caller = parse("- {id: a, tenant: t, hash: '" + HASH + "'}");

        assertThat(caller.admin()).isFalse();
        assertThat(caller.restricted()).isFalse();
        assertThat(caller.mayUse("anything")).isTrue();
    }

    @Test
    void readsTheAdminRoleAndTheAllowlist() {
        Caller caller = parse("- {id: a, tenant: t, hash: '" + HASH + "', role: Admin, models: [m1, ' m2 ']}");

        assertThat(caller.admin()).isTrue();
        assertThat(caller.models()).containsExactlyInAnyOrder("m1", "m2");
        assertThat(caller.mayUse("m2")).isTrue();
        assertThat(caller.mayUse("m3")).isFalse();
        assertThat(caller.mayUse(null)).isFalse();
    }

    @Test
    void refusesAnUnknownRoleAndAnEmptyOrOddAllowlist() {
        assertThatThrownBy(() -> parse("- {id: a, tenant: t, hash: '" + HASH + "', role: root}"))
                .hasMessageContaining("role must be user or admin");
        assertThatThrownBy(() -> parse("- {id: a, tenant: t, hash: '" + HASH + "', models: []}"))
                .hasMessageContaining("models must be a non-empty list");
        assertThatThrownBy(() -> parse("- {id: a, tenant: t, hash: '" + HASH + "', models: m1}"))
                .hasMessageContaining("models must be a non-empty list");
        assertThatThrownBy(() -> parse("- {id: a, tenant: t, hash: '" + HASH + "', models: [m1, 3]}"))
                .hasMessageContaining("models must hold non-empty strings");
    }
}
