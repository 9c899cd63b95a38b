package io.percore.net.stack;

/**
 * A TCP sender's congestion window policy (RFC 5681 framework), pluggable per connection: {@link NewReno} or
 * {@link Cubic}, chosen by {@link NativeStackConfig#congestionControl()}. Windows are in bytes. Shard thread only.
 */
interface CongestionControl {
    /** @return the congestion window. */
    long cwnd();

    /** @return the slow-start threshold. */
    long ssthresh();

    /** New data was acknowledged outside loss recovery. */
    void onAck(long ackedBytes, long rttMicros, long nowNanos);

    /** A loss was detected by duplicate ACKs or SACK: reduce, and continue in recovery with cwnd = ssthresh. */
    void onLoss(long flightBytes, long nowNanos);

    /** The retransmission timer expired: back to one segment and slow start. */
    void onTimeout(long flightBytes, long nowNanos);

    /** Sets the sender's maximum segment size (at start and after a path MTU change). */
    void setMss(int mss);

    static CongestionControl create(String name, int mss) {
        return "newreno".equals(name) ? new NewReno(mss) : new Cubic(mss);
    }

    /** NewReno (RFC 5681 / 6582): slow start, then one segment per window of ACKed bytes; halve on loss. */
    final class NewReno implements CongestionControl {
        long cwnd;
        long ssthresh = Long.MAX_VALUE / 4;
        long acc;
        int mss;

        NewReno(int mss) {
            this.mss = mss;
            this.cwnd = 10L * mss;
        }

        @Override
        public long cwnd() {
            return cwnd;
        }

        @Override
        public long ssthresh() {
            return ssthresh;
        }

        @Override
        public void onAck(long acked, long rtt, long now) {
            if (cwnd < ssthresh) {
                cwnd += Math.min(acked, 2L * mss); // appropriate byte counting, L = 2 (RFC 3465)
                return;
            }
            acc += acked;
            if (acc >= cwnd) {
                acc -= cwnd;
                cwnd += mss;
            }
        }

        @Override
        public void onLoss(long flight, long now) {
            ssthresh = Math.max(flight / 2, 2L * mss);
            cwnd = ssthresh;
            acc = 0;
        }

        @Override
        public void onTimeout(long flight, long now) {
            ssthresh = Math.max(flight / 2, 2L * mss);
            cwnd = mss;
            acc = 0;
        }

        @Override
        public void setMss(int m) {
            mss = m;
        }
    }

    /**
     * CUBIC (RFC 9438): after a loss the window grows as a cubic function of the time since, centred on the window
     * where the loss happened, never slower than Reno would (the "Reno-friendly" region).
     */
    final class Cubic implements CongestionControl {
        private static final double C = 0.4, BETA = 0.7;
        long cwnd;
        long ssthresh = Long.MAX_VALUE / 4;
        int mss;
        double wMax;
        double k;
        long epochStart = -1;
        double wEst;
        long minRttMicros = Long.MAX_VALUE;
        long acc;

        Cubic(int mss) {
            this.mss = mss;
            this.cwnd = 10L * mss;
        }

        @Override
        public long cwnd() {
            return cwnd;
        }

        @Override
        public long ssthresh() {
            return ssthresh;
        }

        @Override
        public void onAck(long acked, long rtt, long now) {
            if (rtt > 0) {
                minRttMicros = Math.min(minRttMicros, rtt);
            }
            if (cwnd < ssthresh) {
                cwnd += Math.min(acked, 2L * mss);
                return;
            }
            double segs = (double) cwnd / mss;
            if (epochStart < 0) {
                epochStart = now;
                if (wMax < segs) {
                    wMax = segs;
                    k = 0;
                } else {
                    k = Math.cbrt((wMax - segs) / C);
                }
                wEst = segs;
            }
            double rttSec = minRttMicros == Long.MAX_VALUE ? 0.1 : minRttMicros / 1e6;
            double t = (now - epochStart) / 1e9 + rttSec;
            double target = C * Math.pow(t - k, 3) + wMax;
            wEst += 3 * (1 - BETA) / (1 + BETA) * ((double) acked / mss) / segs;
            target = Math.max(target, wEst);
            if (target > segs) {
                // Grow by (target - cwnd) / cwnd segments per acknowledged segment.
                acc += (long) (acked * Math.min(target - segs, segs / 2) / segs);
                if (acc >= mss) {
                    cwnd += acc / mss * mss;
                    acc %= mss;
                }
            }
        }

        @Override
        public void onLoss(long flight, long now) {
            double segs = (double) cwnd / mss;
            wMax = segs < wMax ? segs * (1 + BETA) / 2 : segs; // fast convergence
            ssthresh = Math.max((long) (cwnd * BETA), 2L * mss);
            cwnd = ssthresh;
            epochStart = -1;
            acc = 0;
        }

        @Override
        public void onTimeout(long flight, long now) {
            onLoss(flight, now);
            cwnd = mss;
        }

        @Override
        public void setMss(int m) {
            mss = m;
        }
    }
}
