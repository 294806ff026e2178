package io.vgate.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The JVM settings of the one-core sidecar (application.properties, "## JVM settings"): what the image carries (Jib's
 * environment and JVM arguments), what the manifests state, what the benchmark runs vgate with, and the memory the pod
 * requests for them, all the same and consistent with one another.
 */
class JvmSettingsTests {

    static final Path PROPERTIES = Path.of("src/main/resources/application.properties");
    static final Path BENCH = Path.of("load-tests/bench.sh");

    /** Quarkus Jib's default {@code quarkus.jib.jvm-arguments}, which the image's JAVA_OPTS_APPEND starts with. */
    static final String JIB_DEFAULT_JVM_ARGUMENTS = "-Djava.util.logging.manager=org.jboss.logmanager.LogManager";

    /**
     * vgate's peak RSS at 1,000 concurrent streams with these settings (load-tests/bench.sh, section sse, README's
     * "JVM settings"); the memory request must hold it with a quarter to spare.
     */
    static final long MEASURED_PEAK_RSS_MIB = 192;

    private static Properties properties;
    private static ManifestSet base;

    @BeforeAll
    static void load() throws IOException {
        properties = new Properties();
        try (Reader reader = Files.newBufferedReader(PROPERTIES)) {
            properties.load(reader);
        }
        base = StrictManifests.load(BaseManifestsTests.BASE);
    }

    @Test
    void imageRunsSerialGcWithAFixedHeapSizedForOneCore() {
        assertThat(imageGc()).isEqualTo("-XX:+UseSerialGC");
        List<String> jvm = imageJvmArguments();
        assertThat(jvm)
                .as("a fixed heap, no percentage of a limit the pod may not set, no second collector")
                .noneMatch(a -> a.contains("RAMPercentage") || a.matches("-XX:\\+Use\\w+GC"));
        assertThat(megabytes(jvm, "-Xmx")).isBetween(64L, 256L);
        assertThat(megabytes(jvm, "-Xmn")).as("young generation").isLessThan(megabytes(jvm, "-Xmx") / 2);
        assertThat(megabytes(jvm, "-XX:MetaspaceSize="))
                .as("metaspace starts above what start-up loads, so loading it costs no full GC")
                .isGreaterThanOrEqualTo(64L);
        assertThat(list("quarkus.jib.native-arguments"))
                .as("the native executable gets the same heap and young generation")
                .contains("-Xmx" + megabytes(jvm, "-Xmx") + "m", "-Xmn" + megabytes(jvm, "-Xmn") + "m");
    }

    @Test
    void manifestsStateTheImagesJvmSettings() {
        Container vgate = base.container("vgate");
        assertThat(base.env(vgate, "GC_CONTAINER_OPTIONS")).isEqualTo(imageGc());
        List<String> expected = new ArrayList<>(List.of(JIB_DEFAULT_JVM_ARGUMENTS));
        expected.addAll(imageJvmArguments());
        assertThat(base.env(vgate, "JAVA_OPTS_APPEND"))
                .as("JAVA_OPTS_APPEND replaces the image's: the same arguments, the log manager first")
                .isEqualTo(String.join(" ", expected));
    }

    @Test
    void theJvmSizesItselfToTheCpuRequestNotTheNode() {
        Quantity cpu = base.container("vgate").getResources().getRequests().get("cpu");
        long cores = Quantity.getAmountInBytes(cpu)
                .setScale(0, java.math.RoundingMode.CEILING)
                .longValueExact();
        assertThat(value(imageJvmArguments(), "-XX:ActiveProcessorCount="))
                .as("-XX:ActiveProcessorCount vs requests.cpu " + cpu)
                .isEqualTo(String.valueOf(cores));
        assertThat(base.container("vgate").getResources().getLimits())
                .as("no CPU limit: the JVM could not size itself from one")
                .doesNotContainKey("cpu");
    }

    @Test
    void memoryHoldsTheMeasuredPeakAndEveryJvmCeiling() {
        var resources = base.container("vgate").getResources();
        long request = mib(resources.getRequests().get("memory"));
        long limit = mib(resources.getLimits().get("memory"));
        assertThat(request)
                .as("memory request vs measured peak RSS")
                .isGreaterThanOrEqualTo(MEASURED_PEAK_RSS_MIB * 5 / 4);
        List<String> jvm = imageJvmArguments();
        long heap = megabytes(jvm, "-Xmx");
        // Direct buffers are capped at the heap's size unless -XX:MaxDirectMemorySize says otherwise.
        long ceilings =
                heap + heap + megabytes(jvm, "-XX:MaxMetaspaceSize=") + megabytes(jvm, "-XX:ReservedCodeCacheSize=");
        assertThat(limit)
                .as("memory limit vs heap + direct buffers + metaspace + code cache")
                .isGreaterThan(ceilings);
    }

    @Test
    void freedNativeMemoryGoesBackToTheSystem() throws IOException {
        String arenas = properties.getProperty("quarkus.jib.environment-variables.\"MALLOC_ARENA_MAX\"");
        assertThat(arenas)
                .as("glibc arenas in the image: by default 8 per core, each keeping what a thread freed")
                .isNotNull();
        assertThat(Integer.parseInt(arenas)).isBetween(1, 4);
        assertThat(value(imageJvmArguments(), "-XX:TrimNativeHeapInterval="))
                .as("the JVM trims the C heap, where each C2 compilation borrows and frees tens of MiB")
                .matches("[1-9]\\d*");
        assertThat(base.env(base.container("vgate"), "MALLOC_ARENA_MAX"))
                .as("the manifests state the image's arenas")
                .isEqualTo(arenas);
        String bench = Files.readString(BENCH);
        assertThat(bench)
                .as("every vgate the benchmark starts has the image's arenas")
                .contains("VGATE_ENV=(MALLOC_ARENA_MAX=" + arenas + " ")
                .contains("--env MALLOC_ARENA_MAX=" + arenas + " ");
    }

    @Test
    void benchmarkRunsVgateAsDeployed() throws IOException {
        Matcher m = Pattern.compile("(?m)^: \"\\$\\{VGATE_HEAP:=([^}]*)}\"$").matcher(Files.readString(BENCH));
        assertThat(m.find()).as("VGATE_HEAP default in " + BENCH).isTrue();
        List<String> bench = Arrays.asList(m.group(1).trim().split("\\s+"));
        assertThat(bench).contains(imageGc());
        assertThat(bench).containsAll(imageJvmArguments());
        Matcher nativeHeap =
                Pattern.compile("(?m)^ +: \"\\$\\{VGATE_HEAP:=([^}]*)}\"$").matcher(Files.readString(BENCH));
        assertThat(nativeHeap.find())
                .as("VGATE_HEAP default for a native executable (VGATE_EXE), whose options are not the JVM's")
                .isTrue();
        assertThat(Arrays.asList(nativeHeap.group(1).trim().split("\\s+")))
                .containsExactlyElementsOf(list("quarkus.jib.native-arguments"));
    }

    private static String imageGc() {
        String gc = properties.getProperty("quarkus.jib.environment-variables.\"GC_CONTAINER_OPTIONS\"");
        assertThat(gc).as("GC_CONTAINER_OPTIONS in the image").isNotNull();
        return gc;
    }

    private static List<String> imageJvmArguments() {
        return list("quarkus.jib.jvm-additional-arguments");
    }

    private static List<String> list(String key) {
        String value = properties.getProperty(key);
        assertThat(value).as(key).isNotNull();
        return Arrays.stream(value.split(",")).map(String::trim).toList();
    }

    private static String value(List<String> arguments, String prefix) {
        return arguments.stream()
                .filter(a -> a.startsWith(prefix))
                .map(a -> a.substring(prefix.length()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + prefix + " in " + arguments));
    }

    private static long megabytes(List<String> arguments, String prefix) {
        String size = value(arguments, prefix).toLowerCase();
        assertThat(size).as(prefix).matches("\\d+[mg]");
        long n = Long.parseLong(size.substring(0, size.length() - 1));
        return size.endsWith("g") ? n * 1024 : n;
    }

    private static long mib(Quantity quantity) {
        return Quantity.getAmountInBytes(quantity).longValueExact() / (1024 * 1024);
    }
}
