/**
 * RFC 6455 websockets over percore's HTTP server and client.
 *
 * <p>{@link io.percore.http.websocket.WebSocketServer#handler} performs the server side of the opening handshake as
 * an HTTP handler (route it on a path) and hands the connection to a {@link io.percore.http.websocket.WebSocket};
 * {@link io.percore.http.websocket.WebSocketClient#connect} does the client side. The session API is the same on
 * both sides: whole messages ({@code receive}, {@code sendText}, {@code sendBinary}) or single frames
 * ({@code receiveFrame}, {@code sendFrame}) for streaming, with pings answered and the closing handshake done
 * inside.
 *
 * <p>Framing is where implementations slip, so the header writer computes the header size and writes it from the
 * same three cases (7-bit length up to 125, 16-bit up to 65535, 64-bit beyond, with markers 126 and 127), and tests
 * pin every boundary. Received frames are checked for everything RFC 6455 requires of a receiver: reserved bits,
 * opcodes, control-frame size and fragmentation, masking direction, the 64-bit length's top bit, continuation
 * order, UTF-8 of text (1007, checked as fragments arrive), and the size limit (1009).
 */
package io.percore.http.websocket;
