package dev.gateway.http.internal.server;

import dev.gateway.core.net.ClientAddress;
import dev.gateway.http.FilterDecision;
import dev.gateway.http.LocalRequest;
import dev.gateway.http.LocalService;
import dev.gateway.http.internal.exchange.RequestTarget;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request for a {@link LocalService}: its body is gathered (copied out of each part, which is let go at once,
 * so a connection that closes midway holds no buffer), then the service is asked. Off the hot path: the control API
 * and the status endpoint only.
 */
final class LocalCall {

    private static final Logger log = LoggerFactory.getLogger(LocalCall.class);

    private final LocalService service;
    private final HttpRequest head;
    private final RequestTarget target;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();

    LocalCall(LocalService service, HttpRequest head, RequestTarget target) {
        this.service = service;
        this.head = head;
        this.target = target;
    }

    /** Takes in one part of the body, which it releases; false once the body is larger than a service takes. */
    boolean add(HttpContent part) {
        try {
            int size = part.content().readableBytes();
            if (body.size() + (long) size > LocalService.MAX_BODY_BYTES) {
                return false;
            }
            part.content().readBytes(body, size);
            return true;
        } catch (java.io.IOException impossible) {
            throw new IllegalStateException(impossible);
        } finally {
            part.release();
        }
    }

    /** Asks the service for its answer; a service that throws or fails is answered with 500, and logged. */
    CompletionStage<FilterDecision.Answer> ask(Channel client) {
        LocalRequest request = new LocalRequest(head.method(), target.path(),
                target.query() == null ? "" : target.query(), head.headers(), body.toByteArray(),
                String.valueOf(ClientAddress.of(client)), client.id().asShortText());
        CompletionStage<FilterDecision.Answer> answer;
        try {
            answer = service.answer(request);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        return answer.exceptionally(failure -> {
            log.error("client={} conn={} {} {} failed", request.client(), request.connectionId(), head.method(),
                    target.path(), failure);
            return FilterDecision.Answer.json(HttpResponseStatus.INTERNAL_SERVER_ERROR,
                    "{\"status\":\"error\",\"message\":\"internal error\"}");
        });
    }
}
