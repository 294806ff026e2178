package io.vgate.architecture;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.lang.ArchRule;
import java.util.Arrays;

/**
 * vgate's dependency rules, as functions of the root package so that the same rules check the application
 * ({@code io.vgate}) and, in {@link DependencyRulesCanFailTests}, fixtures that break each of them on purpose
 * ({@code io.vgate.architecture.violations}, laid out like the application).
 *
 * <ul>
 *   <li>No cycles between the packages under the root.</li>
 *   <li>{@code proxy}, the data path, may use the step packages; no step package uses {@code proxy}.</li>
 *   <li>The gateway reaches the simulator only over HTTP: no gateway package uses {@code sim}, and {@code sim} uses
 *       no gateway package.</li>
 *   <li>No Vert.x internal API ({@code impl} or {@code internal} packages under {@code io.vertx}), with one named
 *   exception (see {@link #noVertxInternals}).</li>
 * </ul>
 */
final class DependencyRules {

    /** The packages of the data path's steps and of what observes them; {@code proxy} strings them together. */
    static final String[] STEPS = {
        "api", "auth", "ratelimit", "shaping", "upstream", "streaming", "metrics", "health", "ui"
    };

    private DependencyRules() {}

    /** No package under {@code root} depends, directly or through others, on itself. */
    static ArchRule noCycles(String root) {
        return slices().matching(root + ".(*)..")
                .namingSlices("$1")
                .should()
                .beFreeOfCycles()
                .because("dependencies between vgate's packages go one way");
    }

    /** The steps return values to the data path and never call back into it. */
    static ArchRule stepsDoNotUseTheDataPath(String root) {
        return noClasses()
                .that()
                .resideInAnyPackage(Arrays.stream(STEPS)
                        .map(step -> root + "." + step + "..")
                        .toArray(String[]::new))
                .should()
                .dependOnClassesThat()
                .resideInAPackage(root + ".proxy..")
                .because("proxy strings the steps together; a step that reaches back into it makes a cycle");
    }

    /** Only the simulator's own classes know the simulator. */
    static ArchRule gatewayDoesNotUseTheSimulator(String root) {
        return noClasses()
                .that()
                .resideInAPackage(root + "..")
                .and()
                .resideOutsideOfPackage(root + ".sim..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage(root + ".sim..")
                .because("the gateway reaches the simulator only over HTTP, like any vLLM");
    }

    /** The simulator stands in for a separate vLLM process and knows nothing of the gateway. */
    static ArchRule simulatorDoesNotUseTheGateway(String root) {
        return noClasses()
                .that()
                .resideInAPackage(root + ".sim..")
                .should()
                .dependOnClassesThat(resideInAPackage(root + "..").and(resideOutsideOfPackage(root + ".sim..")))
                .because("the simulator stands in for vLLM, a separate process that knows nothing of vgate");
    }

    /**
     * Vert.x's internal packages ({@code impl} and {@code internal} anywhere under {@code io.vertx}) change without
     * notice between releases. One named exception: {@code edge.ConnectionGuard} reaches a connection's Netty
     * channel through {@code io.vertx.core.net.impl.ConnectionBase}, because Vert.x 4.5 has no public way to swap
     * the idle handler that enforces the request-head deadline per exchange; a Vert.x upgrade must re-check it.
     */
    static ArchRule noVertxInternals(String root) {
        return noClasses()
                .that()
                .resideInAPackage(root + "..")
                .and()
                .doNotHaveFullyQualifiedName(root + ".edge.ConnectionGuard")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.vertx..impl..", "io.vertx..internal..")
                .because("Vert.x's internal API is not public and changes without notice");
    }
}
