pragma circom 2.1.0;

// The transformer ops of format verilay.model.v2 (docs/model-format.md) as constraints, with the
// conventions of verilay.circom: signed values are field elements, every `<--` hint is pinned by
// an equation and range checks (docs/circuits.md lists each), widths come from libs/zk's exact
// interval analysis, and `assert` is never relied on.

include "verilay.circom";

// floor(sqrt(m)) for 0 <= m < 2^62, in witness computation only (pinned by IsqrtOf).
function isqrtHint(m) {
    var r = 0;
    for (var b = 31; b >= 0; b--) {
        var c = r + (1 << b);
        if (c * c <= m) {
            r = c;
        }
    }
    return r;
}

// y = clamp(t, LO, HI) for a t that may leave the range on either side, with HI - LO + 1 =
// 2^Y_BITS (every dtype's range). CMP_BITS: t - HI - 1 < 2^CMP_BITS and LO - 1 - t < 2^CMP_BITS
// for every honest t. Costs Y_BITS + CMP_BITS + 4 against ClampBoth's 2·CMP_BITS + 4.
// SAFETY: a, b are booleans; y = t + a·(LO - t) + b·(HI - t) is range-checked into [LO, HI];
// c = a·(LO - 1 - t) + b·(t - HI - 1) is in [0, 2^CMP_BITS). So a = b = 0 means t = y is in range,
// a = 1 means t < LO (and y = LO), b = 1 means t > HI (and y = HI); a = b = 1 makes c = LO - HI - 2
// negative. In every case t lies in an interval of width < 2^(CMP_BITS + 1) + 2^Y_BITS, which is what
// lets a RoundShift feeding it skip its own quotient range check.
template ClampSat(LO, HI, Y_BITS, CMP_BITS) {
    signal input t;
    signal output y;
    signal a;
    signal b;
    a <-- t < LO ? 1 : 0;
    b <-- t > HI ? 1 : 0;
    a * (a - 1) === 0;
    b * (b - 1) === 0;
    signal pa <== a * (LO - t);
    signal pb <== b * (HI - t);
    y <== t + pa + pb;
    component yRange = InRange(Y_BITS);
    yRange.in <== y - LO;
    component cRange = InRange(CMP_BITS);
    cRange.in <== pa - a - pb - b;
}

// s = one-hot of idx over V entries; idx in [0, V) follows (no other idx has a one-hot).
// SAFETY: each s[v] is boolean and they sum to 1, so exactly one is 1, and idx = Σ v·s[v] is its v.
template OneHot(V) {
    signal input idx;
    signal output s[V];
    var total = 0;
    var at = 0;
    for (var v = 0; v < V; v++) {
        s[v] <-- idx == v ? 1 : 0;
        s[v] * (s[v] - 1) === 0;
        total += s[v];
        at += v * s[v];
    }
    total === 1;
    at === idx;
}

// out = Σ a[k]·b[k]: one product per term (both operands are activations).
template Dot(K) {
    signal input a[K];
    signal input b[K];
    signal output out;
    signal p[K];
    var acc = 0;
    for (var k = 0; k < K; k++) {
        p[k] <== a[k] * b[k];
        acc += p[k];
    }
    out <== acc;
}

// r = floor(sqrt(m)) for 0 <= m < 2^M_BITS with R_BITS >= bits of floor(sqrt(max m)) and
// D_BITS >= bits of 2·max r.
// SAFETY: r in [0, 2^R_BITS) keeps r² far below p; m - r² >= 0 and (r + 1)² - 1 - m >= 0 (each
// in [0, 2^D_BITS)) give r² <= m < (r + 1)², which only floor(sqrt(m)) satisfies.
template IsqrtOf(R_BITS, D_BITS) {
    signal input m;
    signal output r;
    r <-- isqrtHint(m);
    component rRange = InRange(R_BITS);
    rRange.in <== r;
    signal rr <== r * r;
    component low = InRange(D_BITS);
    low.in <== m - rr;
    component high = InRange(D_BITS);
    high.in <== rr + 2 * r - m;
}

// One rmsnorm row before saturation: m = floor(Σ x² / D) + EPS, r = isqrt(m),
// q[j] = floor((2·x[j]·W[j] + r) / (2r)). Parameters (all from the static intervals):
// MQ_BITS: bits of max floor(Σ x² / D); REM_BITS: bits of D - 1 (0 when D = 1); R_BITS, RD_BITS:
// IsqrtOf's; QR_BITS: bits of 2·max r - 1 (the division remainder); Q_LO: a lower bound of every q.
// q is left unbounded here: the caller saturates it (a clamp comparator bounds it) or range-checks it.
// SAFETY: Σ x² = mq·D + mr with mr in [0, D) (bits, plus D - 1 - mr >= 0 when D is not a power of
// two) and mq in range: the floor. Each q[j]: 2·x·W + r = q·2r + rem with rem in [0, 2r) (two
// range checks): with q bounded by the caller, the equation holds over the integers, so q is the floor.
template RmsNormRow(D, W, EPS, MQ_BITS, REM_BITS, R_BITS, RD_BITS, QR_BITS, Q_LO) {
    signal input x[D];
    signal output q[D];
    signal sq[D];
    var sum = 0;
    for (var j = 0; j < D; j++) {
        sq[j] <== x[j] * x[j];
        sum += sq[j];
    }
    signal mq;
    mq <-- sum \ D;
    var mr = sum - mq * D;
    component mqRange = InRange(MQ_BITS);
    mqRange.in <== mq;
    if (REM_BITS > 0) {
        component mrRange = InRange(REM_BITS);
        mrRange.in <== mr;
        if ((1 << REM_BITS) != D) {
            component mrBelow = InRange(REM_BITS);
            mrBelow.in <== D - 1 - mr;
        }
    } else {
        mr === 0;
    }
    component root = IsqrtOf(R_BITS, RD_BITS);
    root.m <== mq + EPS;
    signal r <== root.r;
    signal qr[D];
    component remLow[D];
    component remHigh[D];
    for (var j = 0; j < D; j++) {
        var num = 2 * W[j] * x[j] + r;
        var shifted = num - Q_LO * 2 * r;
        q[j] <-- (shifted \ (2 * r)) + Q_LO;
        qr[j] <== q[j] * r;
        var rem = num - 2 * qr[j];
        remLow[j] = InRange(QR_BITS);
        remLow[j].in <== rem;
        remHigh[j] = InRange(QR_BITS);
        remHigh[j].in <== 2 * r - 1 - rem;
    }
}

// One layernorm row before saturation (docs/model-format.md, layernorm): s = Σ x, c[j] = D·x[j] - s,
// m = floor((D·Σ x² - s²) / D²) + EPS, r = isqrt(m), out[j] = floor((2·c[j]·W[j] + D·r) / (2·D·r)) + B[j].
// Parameters (all from the static intervals): MQ_BITS: bits of max floor((D·Σx² - s²) / D²) (the
// variance, at most max x²); REM_BITS: bits of D² - 1 (0 when D = 1); R_BITS, RD_BITS: IsqrtOf's;
// QR_BITS: bits of 2·D·max r - 1 (the division remainder); Q_LO: a lower bound of every quotient.
// out is left unbounded here: the caller saturates it (a clamp comparator bounds it) or range-checks it.
// SAFETY: s and the c[j] are linear in x (no hint). D·Σ x² - s² = mq·D² + mr with mr in [0, D²)
// (bits, plus D² - 1 - mr >= 0 when D² is not a power of two) and mq in range: the floor, over the
// integers as every term is far below p. Each quotient: 2·c·W + D·r = q·2Dr + rem with rem in
// [0, 2Dr) (two range checks): with q bounded by the caller, the equation holds over the integers,
// so q is the floor, and out = q + B is linear.
template LayerNormRow(D, W, B, EPS, MQ_BITS, REM_BITS, R_BITS, RD_BITS, QR_BITS, Q_LO) {
    signal input x[D];
    signal output out[D];
    signal sq[D];
    var s = 0;
    var sum = 0;
    for (var j = 0; j < D; j++) {
        s += x[j];
        sq[j] <== x[j] * x[j];
        sum += sq[j];
    }
    signal ss <== s * s;
    var v = D * sum - ss;
    signal mq;
    mq <-- v \ (D * D);
    var mr = v - mq * D * D;
    component mqRange = InRange(MQ_BITS);
    mqRange.in <== mq;
    if (REM_BITS > 0) {
        component mrRange = InRange(REM_BITS);
        mrRange.in <== mr;
        if ((1 << REM_BITS) != D * D) {
            component mrBelow = InRange(REM_BITS);
            mrBelow.in <== D * D - 1 - mr;
        }
    } else {
        mr === 0;
    }
    component root = IsqrtOf(R_BITS, RD_BITS);
    root.m <== mq + EPS;
    signal r <== root.r;
    signal q[D];
    signal qr[D];
    component remLow[D];
    component remHigh[D];
    for (var j = 0; j < D; j++) {
        var num = 2 * W[j] * (D * x[j] - s) + D * r;
        var shifted = num - Q_LO * 2 * D * r;
        q[j] <-- (shifted \ (2 * D * r)) + Q_LO;
        qr[j] <== q[j] * r;
        var rem = num - 2 * D * qr[j];
        remLow[j] = InRange(QR_BITS);
        remLow[j].in <== rem;
        remHigh[j] = InRange(QR_BITS);
        remHigh[j].in <== 2 * D * r - 1 - rem;
        out[j] <== q[j] + B[j];
    }
}

// One softmax row over its V valid columns (docs/model-format.md, softmax): mx = max x,
// d = mx - x[c] (D_BITS bits), p = d's low K bits, z = the rest, e = z <= 15 ? floor(TABLE[p] / 2^z) : 0,
// S = Σ e, y[c] = floor((510·e + S) / (2S)). E_BITS: bits of max TABLE; S2_BITS: bits of 2·max S - 1.
// SAFETY, hint by hint:
// - mx: every mx - x[c] is decomposed into D_BITS bits (mx >= all) and Π (mx - x[c]) = 0 (mx is one
//   of them), as MaxOf. The same bits give p and z: no second decomposition.
// - TABLE[p]: a multiplexer tree over p's bits with constant leaves (no hint).
// - 2^z for the low 4 bits of z: a product of (1 + bit·(2^(2^i) - 1)) (no hint); z >= 16 when any
//   higher bit is set, and e is then multiplied by Π (1 - bit) = 0.
// - e0 = floor(t / 2^z): t = e0·2^z + rem with rem in [0, 2^z) (rem >= 0 and 2^z - 1 - rem >= 0,
//   each in Z_MAX bits, Z_MAX the largest low shift) and e0 in [0, 2^E_BITS): all far below p.
// - y: 510·e + S = y·2S + rem2 with rem2 in [0, 2S) (two range checks) and y in [0, 2^8).
template SoftmaxRow(V, D_BITS, K, TABLE, E_BITS, S2_BITS) {
    signal input x[V];
    signal output y[V];
    var best = x[0];
    for (var c = 1; c < V; c++) {
        best = x[c] > best ? x[c] : best;
    }
    signal mx;
    mx <-- best;
    component dBits[V];
    signal prod[V];
    for (var c = 0; c < V; c++) {
        dBits[c] = Num2Bits(D_BITS);
        dBits[c].in <== mx - x[c];
        if (c == 0) {
            prod[c] <== mx - x[c];
        } else {
            prod[c] <== prod[c - 1] * (mx - x[c]);
        }
    }
    prod[V - 1] === 0;

    var KB = K < D_BITS ? K : D_BITS; // fractional bits present in d
    var ZB = D_BITS - KB; // integer bits of d
    var ZL = ZB < 4 ? ZB : 4; // low bits of z: shifts 0..15
    var Z_MAX = (1 << ZL) - 1;
    var LEAVES = 1 << KB;
    // Multiplexer tree over p's KB bits: level 0 is linear in bit 0 (constant leaves), every further
    // level one product per node. Node storage: LEAVES - 1 signals per element.
    signal mux[V][LEAVES];
    signal pw[V][4];
    signal e0[V];
    signal e0p[V];
    signal e[V];
    signal notBig[V][D_BITS];
    component remLow[V];
    component remHigh[V];
    component eRange[V];
    var S = 0;
    for (var c = 0; c < V; c++) {
        var t = TABLE[0];
        if (KB > 0) {
            var width = LEAVES >> 1;
            for (var i = 0; i < width; i++) {
                mux[c][i] <== TABLE[2 * i] + dBits[c].out[0] * (TABLE[2 * i + 1] - TABLE[2 * i]);
            }
            var base = 0;
            for (var level = 1; level < KB; level++) {
                var next = base + width;
                width = width >> 1;
                for (var i = 0; i < width; i++) {
                    mux[c][next + i] <== mux[c][base + 2 * i] + dBits[c].out[level] * (mux[c][base + 2 * i + 1] - mux[c][base + 2 * i]);
                }
                base = next;
            }
            t = mux[c][base];
        }
        // pow = 2^(z mod 16)
        var pow = 1;
        for (var i = 0; i < ZL; i++) {
            var factor = 1 + dBits[c].out[KB + i] * ((1 << (1 << i)) - 1);
            if (i == 0) {
                pw[c][0] <== factor;
            } else {
                pw[c][i] <== pw[c][i - 1] * factor;
            }
            pow = pw[c][i];
        }
        if (ZL == 0) {
            e0[c] <== t;
        } else {
            var zLow = 0;
            for (var i = 0; i < ZL; i++) {
                zLow += dBits[c].out[KB + i] * (1 << i);
            }
            e0[c] <-- t \ (1 << zLow);
            e0p[c] <== e0[c] * pow;
            remLow[c] = InRange(Z_MAX);
            remLow[c].in <== t - e0p[c];
            remHigh[c] = InRange(Z_MAX);
            remHigh[c].in <== pow - 1 - (t - e0p[c]);
            eRange[c] = InRange(E_BITS);
            eRange[c].in <== e0[c];
        }
        // z >= 16: e = 0.
        var big = 0;
        for (var i = KB + ZL; i < D_BITS; i++) {
            if (big == 0) {
                notBig[c][i] <== e0[c] * (1 - dBits[c].out[i]);
            } else {
                notBig[c][i] <== notBig[c][i - 1] * (1 - dBits[c].out[i]);
            }
            big = 1;
        }
        if (big == 0) {
            e[c] <== e0[c];
        } else {
            e[c] <== notBig[c][D_BITS - 1];
        }
        S += e[c];
    }
    signal sum <== S;
    signal ys[V];
    component yRange[V];
    component rLow[V];
    component rHigh[V];
    for (var c = 0; c < V; c++) {
        var num = 510 * e[c] + sum;
        y[c] <-- num \ (2 * sum);
        yRange[c] = InRange(8);
        yRange[c].in <== y[c];
        ys[c] <== y[c] * sum;
        rLow[c] = InRange(S2_BITS);
        rLow[c].in <== num - 2 * ys[c];
        rHigh[c] = InRange(S2_BITS);
        rHigh[c].in <== 2 * sum - 1 - (num - 2 * ys[c]);
    }
}

// The exact product x·g(x) of polyGate (before its requantization): u = min(|x|, CLIP),
// g = BIAS + sgn(x)·(A·(u - CLIP)² + B), computed as BIAS·x + |x|·(A·(u - CLIP)² + B) (equal:
// x·sgn(x) = |x|, and both are 0 at x = 0). X_BITS: |x| < 2^X_BITS. CLIPPED: 1 when max|x| > CLIP;
// C_BITS: | |x| - CLIP | < 2^C_BITS.
// SAFETY: neg is LessThan's output (pinned by its bit decomposition), |x| = x - 2·neg·x, and the
// clip is ClampHigh's comparison: no hint of its own.
template PolyGateProduct(CLIP, A, B, BIAS, X_BITS, CLIPPED, C_BITS) {
    signal input x;
    signal output out;
    component neg = LessThan(X_BITS);
    neg.in[0] <== x;
    neg.in[1] <== 0;
    signal nx <== neg.out * x;
    signal ax <== x - 2 * nx;
    signal u;
    if (CLIPPED == 1) {
        component clip = ClampHigh(CLIP, C_BITS);
        clip.t <== ax;
        u <== clip.y;
    } else {
        u <== ax;
    }
    signal sq <== (u - CLIP) * (u - CLIP);
    signal g <== ax * (A * sq + B);
    out <== BIAS * x + g;
}

// The state commitment h (docs/model-format.md): cur alone when no slot is live, else
// Poseidon(tag, cur, slot commitments in ascending slot order), tag = "vstate" · 2^16 + K.
template StateCommit(K) {
    signal input cur;
    signal input slots[K];
    signal output out;
    if (K == 0) {
        out <== cur;
    } else {
        component h = Poseidon(K + 2);
        h.inputs[0] <== 0x7673746174650000 + K;
        h.inputs[1] <== cur;
        for (var i = 0; i < K; i++) {
            h.inputs[2 + i] <== slots[i];
        }
        out <== h.out;
    }
}
