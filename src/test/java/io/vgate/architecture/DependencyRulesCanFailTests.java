package io.vgate.architecture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each of {@link DependencyRules} reports a deliberate violation: the fixtures in {@code io.vgate.architecture.violations}
 * mirror the application's layout (a {@code proxy}, steps, a {@code sim}) and break every rule once. Test classes, so the
 * check of the application ({@link DependencyRulesTests}) never sees them.
 */
class DependencyRulesCanFailTests {

    private static final String ROOT = "io.vgate.architecture.violations";

    private static final JavaClasses FIXTURES = new ClassFileImporter().importPackages(ROOT);

    @Test
    void reportsACycleBetweenPackages() {
        List<String> details = violations(DependencyRules.noCycles(ROOT));

        assertThat(String.join("\n", details))
                .containsPattern("Cycle detected: auth ->\\s+proxy ->\\s+auth")
                .contains("violations.auth.StepCallingBack")
                .contains("violations.proxy.DataPath");
    }

    @Test
    void reportsAStepThatUsesTheDataPath() {
        List<String> details = violations(DependencyRules.stepsDoNotUseTheDataPath(ROOT));

        assertThat(details).isNotEmpty().allMatch(line -> line.contains("violations.auth.StepCallingBack"));
    }

    @Test
    void letsTheDataPathUseTheSteps() {
        assertThat(violations(DependencyRules.stepsDoNotUseTheDataPath(ROOT)))
                .noneMatch(line -> line.startsWith("Method <" + ROOT + ".proxy.")
                        || line.startsWith("Field <" + ROOT + ".proxy.")
                        || line.startsWith("Constructor <" + ROOT + ".proxy."));
    }

    @Test
    void reportsAGatewayClassThatUsesTheSimulator() {
        List<String> details = violations(DependencyRules.gatewayDoesNotUseTheSimulator(ROOT));

        assertThat(details)
                .isNotEmpty()
                .allMatch(line -> line.contains("violations.upstream.TargetImportingSimulator"))
                .anyMatch(line -> line.contains("violations.sim.Simulator"));
    }

    @Test
    void reportsASimulatorClassThatUsesTheGateway() {
        List<String> details = violations(DependencyRules.simulatorDoesNotUseTheGateway(ROOT));

        assertThat(details)
                .isNotEmpty()
                .allMatch(line -> line.contains("violations.sim.Simulator"))
                .anyMatch(line -> line.contains("violations.metrics.GatewayMetric"));
    }

    @Test
    void reportsVertxInternalApi() {
        List<String> details = violations(DependencyRules.noVertxInternals(ROOT));

        assertThat(details)
                .isNotEmpty()
                .allMatch(line -> line.contains("violations.streaming.InternalContextUser")
                        || line.contains("violations.streaming.InternalConnectionUser"))
                .anyMatch(line -> line.contains("io.vertx.core.impl.ContextInternal"))
                .anyMatch(line -> line.contains("io.vertx.core.net.impl.ConnectionBase"));
    }

    @Test
    void checkThrowsOnAViolation() {
        assertThatThrownBy(() -> DependencyRules.noCycles(ROOT).check(FIXTURES))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("should be free of cycles")
                .hasMessageContaining("dependencies between vgate's packages go one way");
    }

    private static List<String> violations(ArchRule rule) {
        EvaluationResult result = rule.evaluate(FIXTURES);
        assertThat(result.hasViolation())
                .as("%s reports a violation", rule.getDescription())
                .isTrue();
        return result.getFailureReport().getDetails();
    }
}
