package dev.gateway.server.status;

import dev.gateway.core.config.LoadedApi;
import dev.gateway.core.exchange.ExchangeRecord;
import dev.gateway.core.exchange.OpenStreams;
import dev.gateway.core.snapshot.GatewaySnapshot;
import dev.gateway.core.snapshot.ListenerPlan;
import dev.gateway.healthcheck.HealthMonitor;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.LocalRequest;
import dev.gateway.http.LocalService;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * {@code GET /status}, a small page in the spirit of HAProxy's stats page: the listeners and their APIs, every
 * checked host up or down with its last check, each API's requests and errors over the last minute, and the
 * connections and streams (WebSockets, event streams, TCP relays) open now, in all and per API. One HTML
 * document: no script, no font, no file besides; it refreshes itself every five seconds and reads on a phone.
 * Served on the control listener when {@code status_page.enabled} is on.
 */
public final class StatusPage implements LocalService {

    static final String PATH = "/status";
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

    /**
     * What the page reads, each asked at every render.
     *
     * @param streams the WebSockets, event streams and TCP relays open now, from the exchange listener
     */
    public record Sources(Supplier<GatewaySnapshot> snapshot, Supplier<List<HealthMonitor.HostStatus>> hosts,
            RecentTraffic traffic, IntSupplier httpConnections, OpenStreams streams) {
    }

    /** The stream kinds the page shows, in its order, with their names on it. */
    private static final Map<ExchangeRecord.Kind, String> STREAMS = streamNames();

    private static Map<ExchangeRecord.Kind, String> streamNames() {
        Map<ExchangeRecord.Kind, String> names = new EnumMap<>(ExchangeRecord.Kind.class);
        names.put(ExchangeRecord.Kind.EVENT_STREAM, "event streams");
        names.put(ExchangeRecord.Kind.WEBSOCKET, "WebSockets");
        names.put(ExchangeRecord.Kind.TCP, "TCP relays");
        return names;
    }

    private final Sources sources;
    private final Executor executor;

    public StatusPage(Sources sources, Executor executor) {
        this.sources = sources;
        this.executor = executor;
    }

    @Override
    public boolean serves(String path) {
        return PATH.equals(path);
    }

    @Override
    public CompletionStage<FilterDecision.Answer> answer(LocalRequest request) {
        return CompletableFuture.supplyAsync(() -> new FilterDecision.Answer(HttpResponseStatus.OK,
                new DefaultHttpHeaders().set(HttpHeaderNames.CONTENT_TYPE, "text/html; charset=utf-8")
                        .set(HttpHeaderNames.CACHE_CONTROL, "no-store"), render()), executor);
    }

    String render() {
        StringBuilder html = new StringBuilder(4096).append("""
                <!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <meta http-equiv="refresh" content="5"><title>gateway status</title><style>
                body{font:14px/1.4 system-ui,sans-serif;margin:1em;color:#222}
                h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}
                table{border-collapse:collapse;width:100%;max-width:60em}
                th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #ddd;overflow-wrap:break-word}
                th{background:#f4f4f4}.up{color:#fff;background:#2a7d2a}.down{color:#fff;background:#b22222}
                .state{padding:.1em .5em;border-radius:.3em;font-weight:bold;white-space:nowrap}
                td.at{white-space:nowrap}td.h{overflow-wrap:anywhere}table+table{margin-top:.8em}
                </style></head><body><h1>gateway status</h1>
                """);
        html.append("<p>").append(TIME.format(Instant.now())).append(" UTC, refreshed every 5 s</p>");
        listeners(html);
        hosts(html);
        traffic(html);
        open(html);
        return html.append("</body></html>").toString();
    }

    /** The connections and streams open now: totals, then each API that has a stream open. */
    private void open(StringBuilder html) {
        html.append("<h2>Open now</h2><table><tr><td>HTTP client connections (WebSockets and event streams"
                + " among them)</td><td id=\"open-http\">").append(sources.httpConnections().getAsInt())
                .append("</td></tr>");
        OpenStreams streams = sources.streams();
        STREAMS.forEach((kind, name) -> html.append("<tr><td>").append(name).append("</td><td id=\"open-")
                .append(kind.name().toLowerCase(Locale.ROOT)).append("\">").append(streams.total(kind))
                .append("</td></tr>"));
        html.append("</table>");
        Map<String, long[]> apis = new TreeMap<>();
        for (OpenStreams.Count count : streams.now()) {
            if (count.open() != 0 && STREAMS.containsKey(count.kind())) {
                long[] open = apis.computeIfAbsent(count.apiId(), api -> new long[ExchangeRecord.Kind.values().length]);
                open[count.kind().ordinal()] = count.open();
            }
        }
        if (apis.isEmpty()) {
            return;
        }
        html.append("<table><tr><th>API</th>");
        STREAMS.values().forEach(name -> html.append("<th>").append(name).append("</th>"));
        html.append("</tr>");
        apis.forEach((api, open) -> {
            html.append("<tr class=\"open\" data-api=\"").append(escape(api)).append("\"><td>").append(escape(api))
                    .append("</td>");
            STREAMS.keySet().forEach(kind -> html.append("<td>").append(open[kind.ordinal()]).append("</td>"));
            html.append("</tr>");
        });
        html.append("</table>");
    }

    private void listeners(StringBuilder html) {
        html.append("<h2>Listeners</h2><table><tr><th>port</th><th>protocol</th><th>APIs</th></tr>");
        for (ListenerPlan plan : sources.snapshot().get().listeners().values()) {
            html.append("<tr><td>").append(plan.port()).append("</td><td>")
                    .append(escape(plan.protocol().configName())).append("</td><td>")
                    .append(escape(plan.apis().stream().map(LoadedApi::definition).map(a -> a.apiId())
                            .collect(Collectors.joining(", ")))).append("</td></tr>");
        }
        html.append("</table>");
    }

    private void hosts(StringBuilder html) {
        html.append("<h2>Checked hosts</h2><table><tr><th>API</th><th>host</th><th>state</th><th>last check</th>"
                + "<th>at</th></tr>");
        List<HealthMonitor.HostStatus> hosts = sources.hosts().get();
        if (hosts.isEmpty()) {
            html.append("<tr><td colspan=\"5\">no uptime tests configured</td></tr>");
        }
        for (HealthMonitor.HostStatus host : hosts) {
            String state = host.up() ? "up" : "down";
            html.append("<tr class=\"host\" data-host=\"").append(escape(host.host())).append("\"><td>")
                    .append(escape(host.apiId())).append("</td><td class=\"h\">").append(escape(host.host()))
                    .append("</td><td><span class=\"state ").append(state).append("\">").append(state)
                    .append("</span></td><td>").append(escape(host.lastResult().isEmpty() ? "not yet checked"
                            : host.lastResult())).append("</td><td class=\"at\">")
                    .append(host.checkedAtMillis() == 0 ? "" : TIME.format(Instant.ofEpochMilli(
                            host.checkedAtMillis()))).append("</td></tr>");
        }
        html.append("</table>");
    }

    private void traffic(StringBuilder html) {
        html.append("<h2>Last minute</h2><table><tr><th>API</th><th>requests</th><th>errors</th><th>error rate"
                + "</th></tr>");
        for (Map.Entry<String, RecentTraffic.Counts> api : sources.traffic().lastMinute().entrySet()) {
            RecentTraffic.Counts counts = api.getValue();
            html.append("<tr><td>").append(escape(api.getKey())).append("</td><td>").append(counts.requests())
                    .append("</td><td>").append(counts.errors()).append("</td><td>")
                    .append(counts.requests() == 0 ? "-" : String.format("%.1f%%",
                            100.0 * counts.errors() / counts.requests())).append("</td></tr>");
        }
        html.append("</table>");
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
