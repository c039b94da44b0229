package dev.gateway.server;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * DESIGN.md's shape of the house, held: the arrows between modules, each module's {@code internal} package kept to
 * itself, and no cycle between packages. It reads the production classes of every module (this module's test class
 * path has them all), not the tests.
 */
class ArchitectureTest {

    /** Every module's package, below {@code dev.gateway}. */
    private static final List<String> MODULES = List.of("core", "redis", "http", "grpc", "ssews", "plugins",
            "auth", "tcp", "healthcheck", "server");

    private static final JavaClasses GATEWAY = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(location -> !location.contains("-tests.jar"))
            .importPackages("dev.gateway");

    @Test
    void readsEveryModule() {
        for (String module : MODULES) {
            assertTrue(GATEWAY.containPackage("dev.gateway." + module), "no classes of " + module);
        }
    }

    /** The arrows of DESIGN.md's module drawing: a module uses only the modules it points at. */
    @Test
    void modulesDependOneWay() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("core").definedBy("dev.gateway.core..")
                .layer("redis").definedBy("dev.gateway.redis..")
                .layer("http").definedBy("dev.gateway.http..")
                .layer("grpc").definedBy("dev.gateway.grpc..")
                .layer("ssews").definedBy("dev.gateway.ssews..")
                .layer("plugins").definedBy("dev.gateway.plugins..")
                .layer("auth").definedBy("dev.gateway.auth..")
                .layer("tcp").definedBy("dev.gateway.tcp..")
                .layer("healthcheck").definedBy("dev.gateway.healthcheck..")
                .layer("server").definedBy("dev.gateway.server..")
                .whereLayer("core").mayNotAccessAnyLayer()
                .whereLayer("redis").mayOnlyAccessLayers("core")
                .whereLayer("http").mayOnlyAccessLayers("core")
                .whereLayer("grpc").mayOnlyAccessLayers("http", "core")
                .whereLayer("ssews").mayOnlyAccessLayers("http", "core")
                .whereLayer("plugins").mayOnlyAccessLayers("http", "core")
                .whereLayer("auth").mayOnlyAccessLayers("http", "core")
                .whereLayer("tcp").mayOnlyAccessLayers("core")
                .whereLayer("healthcheck").mayOnlyAccessLayers("core")
                .whereLayer("server").mayNotBeAccessedByAnyLayer()
                .check(GATEWAY);
    }

    /** A module's {@code internal} package is not its public face: no other module may use it. */
    @Test
    void internalPackagesStayInTheirModule() {
        for (String module : MODULES) {
            String home = "dev.gateway." + module + "..";
            noClasses().that().resideOutsideOfPackage(home)
                    .should().dependOnClassesThat().resideInAPackage("dev.gateway." + module + ".internal..")
                    .allowEmptyShould(true)
                    .check(GATEWAY);
        }
    }

    /** No cycle between packages, in a module or across modules. */
    @Test
    void packagesHaveNoCycles() {
        slices().matching("dev.gateway.(**)").should().beFreeOfCycles().check(GATEWAY);
    }

    /**
     * Inside gateway-http, DESIGN.md's direction: the entry points build the client connections, which hand
     * requests to exchanges, which use upstream connections; the model and its extension points are used by all
     * and use none of them.
     */
    @Test
    void httpLayersDependOneWay() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("proxy").definedBy("dev.gateway.http.proxy..")
                .layer("server").definedBy("dev.gateway.http.internal.server..")
                .layer("exchange").definedBy("dev.gateway.http.internal.exchange..")
                .layer("client").definedBy("dev.gateway.http.internal.client..")
                .layer("codec").definedBy("dev.gateway.http.internal.codec..")
                .layer("model").definedBy("dev.gateway.http")
                .whereLayer("proxy").mayNotBeAccessedByAnyLayer()
                .whereLayer("server").mayOnlyBeAccessedByLayers("proxy")
                .whereLayer("exchange").mayOnlyBeAccessedByLayers("proxy", "server")
                .whereLayer("client").mayOnlyBeAccessedByLayers("proxy", "server", "exchange")
                .whereLayer("codec").mayOnlyBeAccessedByLayers("proxy", "server", "exchange", "client")
                .check(GATEWAY);
    }
}
