package dev.gateway.http.internal.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The stream codec on its own: header blocks read through the view and forwarded as the same block, DATA as the
 * same buffers, and the checks HTTP/1.1 conversion used to make (field values, trailers, host against
 * {@code :authority}).
 */
class Http2StreamCodecTest {

    private final EmbeddedChannel clientStream = new EmbeddedChannel(new Http2StreamCodec(true));
    private final EmbeddedChannel upstreamStream = new EmbeddedChannel(new Http2StreamCodec(false));

    @AfterEach
    void noLeftovers() {
        assertFalse(clientStream.finishAndReleaseAll());
        assertFalse(upstreamStream.finishAndReleaseAll());
    }

    /** A frame on stream 3, as the connection's codec hands it on: errors name the stream. */
    private static Http2HeadersFrame onStream(Http2Headers block, boolean end) {
        return new DefaultHttp2HeadersFrame(block, end).stream(new Http2FrameStream() {
            @Override
            public int id() {
                return 3;
            }

            @Override
            public Http2Stream.State state() {
                return Http2Stream.State.OPEN;
            }
        });
    }

    private static Http2Headers request(String method, String path) {
        return new DefaultHttp2Headers().method(method).path(path).scheme("https").authority("api.example:8443");
    }

    @Test
    void aRequestBlockIsReadInPlaceAndForwardedAsTheSameBlock() {
        Http2Headers block = request("POST", "/helloworld.Greeter/SayHello")
                .add("content-type", "application/grpc").add("te", "trailers");
        clientStream.writeInbound(new DefaultHttp2HeadersFrame(block, false));
        HttpRequest request = clientStream.readInbound();
        HttpHeaders headers = request.headers();

        assertEquals(HttpMethod.POST, request.method());
        assertEquals("/helloworld.Greeter/SayHello", request.uri());
        assertEquals("api.example:8443", headers.get("Host"), "the authority reads as the host");
        assertEquals("application/grpc", headers.get(HttpHeaderNames.CONTENT_TYPE));
        assertNull(headers.get(":path"), "pseudo-header fields stay out of sight");
        assertTrue(HttpUtil.isTransferEncodingChunked(request), "a body of unknown length follows");
        assertEquals(List.of("content-type", "te", "host", "transfer-encoding"), List.copyOf(headers.names()));

        // The exchange rewrites it for its upstream, as HeaderRewriter does.
        headers.set(HttpHeaderNames.HOST, "10.0.0.7:50051");
        headers.add("X-Forwarded-For", "192.0.2.1");
        headers.set(HttpHeaderNames.CONNECTION, "close");
        request.setUri("/helloworld.Greeter/SayHello?x=1");

        upstreamStream.writeOutbound(request);
        Http2HeadersFrame out = upstreamStream.readOutbound();
        assertSame(block, out.headers(), "the block travels on; nothing was copied");
        assertFalse(out.isEndStream());
        assertEquals("10.0.0.7:50051", out.headers().authority().toString());
        assertEquals("/helloworld.Greeter/SayHello?x=1", out.headers().path().toString());
        assertEquals("http", out.headers().scheme().toString(), "the upstream stream's own scheme");
        assertEquals("192.0.2.1", out.headers().get("x-forwarded-for").toString());
        assertNull(out.headers().get("host"));
        assertNull(out.headers().get("connection"), "connection-specific fields never reach HTTP/2");
        assertNull(out.headers().get("transfer-encoding"));
    }

    @Test
    void dataTravelsAsTheSameBufferBothWays() {
        ByteBuf payload = Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII);
        clientStream.writeInbound(new DefaultHttp2DataFrame(payload, true));
        LastHttpContent last = clientStream.readInbound();
        assertSame(payload, last.content());

        upstreamStream.writeOutbound(last);
        Http2DataFrame out = upstreamStream.readOutbound();
        assertSame(payload, out.content());
        assertTrue(out.isEndStream());
        out.release();
        assertEquals(0, payload.refCnt());
    }

    @Test
    void aResponseEndsWithTrailersThatAreForwardedAsTheirBlock() {
        Http2Headers head = new DefaultHttp2Headers().status("200").add("content-type", "application/grpc");
        Http2Headers trailers = new DefaultHttp2Headers().add("grpc-status", "0");
        upstreamStream.writeInbound(new DefaultHttp2HeadersFrame(head, false),
                new DefaultHttp2HeadersFrame(trailers, true));
        HttpResponse response = upstreamStream.readInbound();
        LastHttpContent end = upstreamStream.readInbound();
        assertEquals(200, response.status().code());
        assertEquals("0", end.trailingHeaders().get("grpc-status"));

        clientStream.writeOutbound(response, end);
        Http2HeadersFrame outHead = clientStream.readOutbound();
        Http2HeadersFrame outTrailers = clientStream.readOutbound();
        assertSame(head, outHead.headers());
        assertSame(trailers, outTrailers.headers());
        assertTrue(outTrailers.isEndStream());
    }

    @Test
    void aHeadersOnlyResponseIsAHeadAndAnEnd() {
        upstreamStream.writeInbound(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("204"), true));
        HttpResponse response = upstreamStream.readInbound();
        assertFalse(HttpUtil.isTransferEncodingChunked(response));
        assertSame(LastHttpContent.EMPTY_LAST_CONTENT, upstreamStream.readInbound());
    }

    @Test
    void anInterimResponseComesWhole() {
        upstreamStream.writeInbound(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("103"), false));
        assertInstanceOf(DefaultFullHttpResponse.class, upstreamStream.readInbound());
    }

    @Test
    void anHttp2RequestBecomesHttp1FieldsWithItsCookiesJoined() {
        Http2Headers block = request("GET", "/").add("cookie", "a=1").add("cookie", "b=2").add("accept", "*/*");
        clientStream.writeInbound(new DefaultHttp2HeadersFrame(block, true));
        HttpRequest request = clientStream.readInbound();
        assertSame(LastHttpContent.EMPTY_LAST_CONTENT, clientStream.readInbound());

        HttpHeaders http1 = ((Http2BackedHeaders) request.headers()).toHttp1();
        assertEquals(List.of("a=1; b=2"), http1.getAll(HttpHeaderNames.COOKIE));
        assertEquals("api.example:8443", http1.get(HttpHeaderNames.HOST));
        assertFalse(http1.contains(HttpHeaderNames.TRANSFER_ENCODING), "it ended with its head");
    }

    @Test
    void messagesThatDidNotComeOverHttp2AreConverted() {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/x");
        request.headers().set(HttpHeaderNames.HOST, "up:80").set("Keep-Alive", "5").set("X-Id", "7");
        upstreamStream.writeOutbound(request, new DefaultLastHttpContent());
        Http2HeadersFrame head = upstreamStream.readOutbound();
        assertEquals("up:80", head.headers().authority().toString());
        assertEquals("7", head.headers().get("x-id").toString());
        assertNull(head.headers().get("keep-alive"));
        Http2DataFrame end = upstreamStream.readOutbound();
        assertTrue(end.isEndStream());
        end.release();

        clientStream.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND));
        Http2HeadersFrame answer = clientStream.readOutbound();
        assertEquals("404", answer.headers().status().toString());
        assertTrue(answer.isEndStream());
    }

    @Test
    void aValueWithALineBreakIsAStreamError() {
        Http2Headers block = new DefaultHttp2Headers(true, false, 4).method("GET").path("/").scheme("http")
                .add("x-smuggled", "a\r\nGET /admin HTTP/1.1");
        DecoderException thrown = assertThrows(DecoderException.class,
                () -> clientStream.writeInbound(onStream(block, true)));
        assertInstanceOf(Http2Exception.StreamException.class, thrown.getCause());
    }

    @Test
    void pseudoHeaderFieldsInTrailersAreAStreamError() {
        upstreamStream.writeInbound(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("200"), false));
        HttpResponse head = upstreamStream.readInbound();
        assertEquals(200, head.status().code());
        Http2Headers trailers = new DefaultHttp2Headers().status("200").add("grpc-status", "0");
        trailers.remove(":status");
        trailers.add(":path", "/x");
        DecoderException thrown = assertThrows(DecoderException.class,
                () -> upstreamStream.writeInbound(onStream(trailers, true)));
        assertInstanceOf(Http2Exception.StreamException.class, thrown.getCause());
    }

    @Test
    void aHostThatContradictsTheAuthorityIsAStreamError() {
        Http2Headers block = request("GET", "/").add("host", "elsewhere.example");
        DecoderException thrown = assertThrows(DecoderException.class,
                () -> clientStream.writeInbound(onStream(block, true)));
        assertInstanceOf(Http2Exception.StreamException.class, thrown.getCause());
    }

    @Test
    void theViewRefusesLineBreaksAndPseudoHeaderNames() {
        HttpHeaders headers = new Http2BackedHeaders(new DefaultHttp2Headers().status("200"));
        assertThrows(IllegalArgumentException.class, () -> headers.set("x-a", "1\r\n2"));
        assertThrows(IllegalArgumentException.class, () -> headers.set(":status", "500"));
        assertTrue(headers.isEmpty());
        headers.add("X-Mixed-Case", "v");
        assertEquals("v", headers.get("x-mixed-case"));
        assertEquals(1, headers.size());
        headers.clear();
        assertTrue(headers.isEmpty());
        assertEquals("200", ((Http2BackedHeaders) headers).block().status().toString(), "clear keeps the status");
    }

    @Test
    void bodyPartsInBetweenAreForwarded() {
        ByteBuf chunk = Unpooled.copiedBuffer("part", StandardCharsets.US_ASCII);
        clientStream.writeInbound(new DefaultHttp2DataFrame(chunk, false));
        HttpContent part = clientStream.readInbound();
        assertFalse(part instanceof LastHttpContent);
        upstreamStream.writeOutbound(part);
        Http2DataFrame out = upstreamStream.readOutbound();
        assertFalse(out.isEndStream());
        assertSame(chunk, out.content());
        out.release();
    }
}
