/**
 * Deliberate violations of {@link io.vgate.architecture.DependencyRules}, laid out like the application: {@code proxy}
 * and {@code auth} use each other (a cycle, and a step using the data path), {@code upstream} uses {@code sim}, {@code sim}
 * uses {@code metrics}, and {@code streaming} uses Vert.x's internal API. Test classes only; never part of the
 * application.
 */
package io.vgate.architecture.violations;
