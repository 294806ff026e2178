package io.vgate.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** vgate's application classes (not its tests, so not the deliberate violations) follow {@link DependencyRules}. */
class DependencyRulesTests {

    private static final String ROOT = "io.vgate";

    private static final JavaClasses APPLICATION = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(ROOT);

    @Test
    void importsTheApplicationAndNotTheTests() {
        assertThat(APPLICATION.contain("io.vgate.proxy.ProxyHandler")).isTrue();
        assertThat(APPLICATION.contain("io.vgate.sim.VllmSimulator")).isTrue();
        assertThat(APPLICATION.stream().map(c -> c.getPackageName()))
                .noneMatch(name -> name.startsWith("io.vgate.architecture"));
    }

    @Test
    void noCyclesBetweenPackages() {
        DependencyRules.noCycles(ROOT).check(APPLICATION);
    }

    @Test
    void stepsDoNotUseTheDataPath() {
        DependencyRules.stepsDoNotUseTheDataPath(ROOT).check(APPLICATION);
    }

    @Test
    void gatewayDoesNotUseTheSimulator() {
        DependencyRules.gatewayDoesNotUseTheSimulator(ROOT).check(APPLICATION);
    }

    @Test
    void simulatorDoesNotUseTheGateway() {
        DependencyRules.simulatorDoesNotUseTheGateway(ROOT).check(APPLICATION);
    }

    @Test
    void noVertxInternals() {
        DependencyRules.noVertxInternals(ROOT).check(APPLICATION);
    }
}
