package dev.gateway.server;

import dev.gateway.core.config.ApiDefinition;
import dev.gateway.core.config.ConfigException;
import dev.gateway.core.config.GatewayConfig;
import dev.gateway.core.config.LoadedApi;
import dev.gateway.core.lb.TargetGroup;
import dev.gateway.core.snapshot.GatewaySnapshot;
import dev.gateway.core.snapshot.ListenerPlan;
import dev.gateway.core.tls.certificates.UpstreamCertificates;
import dev.gateway.http.HttpRoutes;
import dev.gateway.http.HttpSettings;
import dev.gateway.http.RequestFilters;
import dev.gateway.http.Route;
import dev.gateway.tcp.TcpRoutes;
import dev.gateway.tcp.TcpService;
import io.netty.handler.ssl.SslContext;
import io.netty.util.Mapping;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The compiled form of every API in service, kept from one reload to the next: an HTTP API's {@link Route} (its
 * upstream endpoints, its request and response filters), a TCP or TLS API's {@link TcpService} (with the client
 * certificates it presents upstream), and each port's routes assembled from them.
 *
 * <p>An API is compiled again only when the snapshot did not {@linkplain GatewaySnapshot#kept keep} it: its
 * definition, a file it names or {@code tyk.conf} changed. A kept API keeps its compiled form, found by its target
 * group: the snapshot hands an API its group from before only when nothing it is compiled from changed, and
 * everything else a form is compiled from (the HTTP settings, the filter compilers, the key store) lives as long as
 * the gateway. A port whose APIs all kept their forms, in the same order, keeps its routes. A port whose plan is the
 * one in service, the same instance (a targeted reload did not touch it), is kept whole without looking at its APIs.
 *
 * <p>A reload {@linkplain #begin begins}, asks for each port's routes, and is {@linkplain #applied applied}: then
 * what it compiled or kept is in service and the rest is let go. Not thread-safe: {@link Listeners} calls it under
 * the gateway's lock.
 */
final class CompiledApis {

    /** An API's compiled form, a {@link Route} or a {@link TcpService}, and the target group it was compiled with. */
    private record Compiled(TargetGroup group, Object form) {
    }

    /**
     * A port's plan, its APIs' compiled forms by id and in plan order, and the routes ({@link HttpRoutes} or
     * {@link TcpRoutes}) made of them.
     */
    private record Port(ListenerPlan plan, Map<String, Compiled> byId, List<Object> forms,
            Mapping<String, SslContext> certificates, Object routes) {
    }

    private final GatewayConfig config;
    private final Path confDir;
    private final HttpSettings settings;
    private final RequestFilters filters;
    /** Each port's compiled forms as in service, changed in place when a reload is applied. */
    private final Map<Integer, Port> portsInService = new HashMap<>();
    /** The ports this reload compiled, not yet in service. */
    private Map<Integer, Port> nextPorts = new HashMap<>();

    CompiledApis(GatewayConfig config, Path confDir, HttpSettings settings, RequestFilters filters) {
        this.config = config;
        this.confDir = confDir;
        this.settings = settings;
        this.filters = filters;
    }

    /** A snapshot is about to be applied. */
    void begin() {
        nextPorts = new HashMap<>();
    }

    /**
     * The snapshot is in service, and with it what this reload compiled or kept; the ports it does not serve go. A
     * port the reload did not ask for, whose plan is still in service, stays as it was.
     */
    void applied(Set<Integer> ports) {
        portsInService.putAll(nextPorts);
        portsInService.keySet().retainAll(ports);
    }

    /** The routes of an HTTP port: each API's route kept or compiled, and the port's as they were when none changed. */
    HttpRoutes httpRoutes(ListenerPlan plan, GatewaySnapshot snapshot) {
        Port before = portsInService.get(plan.port());
        if (before != null && before.plan() == plan && before.routes() instanceof HttpRoutes same) {
            return same;
        }
        Map<String, Compiled> byId = new HashMap<>(plan.apis().size() * 4 / 3 + 1);
        List<Object> routes = new ArrayList<>(plan.apis().size());
        for (LoadedApi loaded : plan.apis()) {
            String id = loaded.definition().apiId();
            TargetGroup group = snapshot.targetGroup(id);
            Object route = keptForm(before, id, group, Route.class);
            if (route == null) {
                route = HttpRoutes.route(loaded, group, settings, filters);
            }
            byId.put(id, new Compiled(group, route));
            routes.add(route);
        }
        HttpRoutes compiled = before != null && before.routes() instanceof HttpRoutes same
                && sameForms(before.forms(), routes) ? same
                : HttpRoutes.of(routes.stream().map(Route.class::cast).toList());
        nextPorts.put(plan.port(), new Port(plan, byId, routes, null, compiled));
        return compiled;
    }

    /**
     * The routes of a TCP or TLS port: each API's service kept or compiled (an API whose upstream certificate cannot
     * be used is left out, with its problem logged), and the port's as they were when none changed.
     */
    TcpRoutes tcpRoutes(ListenerPlan plan, GatewaySnapshot snapshot, Mapping<String, SslContext> certificates) {
        Port before = portsInService.get(plan.port());
        if (before != null && before.plan() == plan && before.certificates() == certificates
                && before.routes() instanceof TcpRoutes same) {
            return same;
        }
        Map<String, Compiled> byId = new HashMap<>(plan.apis().size() * 4 / 3 + 1);
        List<Object> services = new ArrayList<>(plan.apis().size());
        for (LoadedApi loaded : plan.apis()) {
            String id = loaded.definition().apiId();
            TargetGroup group = snapshot.targetGroup(id);
            Object service = keptForm(before, id, group, TcpService.class);
            if (service == null) {
                try {
                    service = tcpService(loaded, group);
                } catch (ConfigException e) {
                    Gateway.logProblem(e.problem());
                    continue;
                }
            }
            byId.put(id, new Compiled(group, service));
            services.add(service);
        }
        TcpRoutes compiled = before != null && before.routes() instanceof TcpRoutes same
                && before.certificates() == certificates && sameForms(before.forms(), services) ? same
                : TcpRoutes.of(services.stream().map(TcpService.class::cast).toList(), certificates);
        nextPorts.put(plan.port(), new Port(plan, byId, services, certificates, compiled));
        return compiled;
    }

    private TcpService tcpService(LoadedApi loaded, TargetGroup group) throws ConfigException {
        ApiDefinition api = loaded.definition();
        boolean insecure = config.proxySslInsecureSkipVerify() || api.proxy().transport().sslInsecureSkipVerify();
        return new TcpService(api, group, insecure, UpstreamCertificates.contexts(loaded, group, insecure, confDir));
    }

    /**
     * The form in service on the port for an API the snapshot kept, else {@code null}. The snapshot hands an API its
     * group from before only when it kept it, so the same group is the proof. A kept API is on the same port: its
     * port is in its definition, or {@code tyk.conf}'s, and either changing compiles it again.
     */
    private static Object keptForm(Port before, String apiId, TargetGroup group, Class<?> kind) {
        Compiled compiled = before == null ? null : before.byId().get(apiId);
        if (compiled == null || compiled.group() != group || !kind.isInstance(compiled.form())) {
            return null;
        }
        return compiled.form();
    }

    /** The same forms, the same instances, in the same order. */
    private static boolean sameForms(List<Object> before, List<Object> now) {
        if (before.size() != now.size()) {
            return false;
        }
        for (int i = 0; i < now.size(); i++) {
            if (before.get(i) != now.get(i)) {
                return false;
            }
        }
        return true;
    }
}
