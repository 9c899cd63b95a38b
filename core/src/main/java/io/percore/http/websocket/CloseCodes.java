package io.percore.http.websocket;

/** The close status codes of RFC 6455 §7.4.1 that percore sends or names, and which may appear on the wire. */
public final class CloseCodes {
    private CloseCodes() {}

    public static final int NORMAL = 1000;
    public static final int GOING_AWAY = 1001;
    public static final int PROTOCOL_ERROR = 1002;
    public static final int UNSUPPORTED_DATA = 1003;
    /** Never sent: reported when a close frame carried no code. */
    public static final int NO_STATUS = 1005;
    /** Never sent: reported when the connection ended without a close frame. */
    public static final int ABNORMAL = 1006;
    public static final int INVALID_PAYLOAD = 1007;
    public static final int POLICY_VIOLATION = 1008;
    public static final int MESSAGE_TOO_BIG = 1009;
    public static final int MANDATORY_EXTENSION = 1010;
    public static final int INTERNAL_ERROR = 1011;

    /** @return true for a code an endpoint may put in a close frame (1000-1003, 1007-1011, 3000-4999). */
    public static boolean isSendable(int code) {
        return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
    }
}
