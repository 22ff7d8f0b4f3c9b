pragma circom 2.1.0;

// verilay's integer semantics as constraints (docs/model-format.md, docs/circuits.md).
//
// Signed integers are field elements (v < 0 is p - |v|). Every `<--` hint below is pinned by
// constraints: a range check (Num2Bits) bounds it, and an equation binds it. Range widths come
// from the model's static interval analysis and are passed in as template parameters, computed
// exactly by libs/zk. `assert` is never used for soundness (it adds no constraint).

include "bitify.circom";
include "comparators.circom";
include "poseidon.circom";

// 0 <= in < 2^N.
template InRange(N) {
    signal input in;
    component bits = Num2Bits(N);
    bits.in <== in;
}

// q = floor((x * MULT + 2^(SHIFT-1)) / 2^SHIFT), SHIFT >= 1: round half toward +infinity.
// Q_LO, Q_BITS: every honest q satisfies 0 <= q - Q_LO < 2^Q_BITS.
// SAFETY: r in [0, 2^SHIFT) and q in a range far below p make x*MULT + half = q*2^SHIFT + r
// hold over the integers, so q is the floor and nothing else. Q_BITS = 0 skips the q range check:
// only for a q that a clamp comparator consumes, since LessThan(n) decomposes t - bound + 2^n
// into n + 1 bits and so bounds q to an interval of 2^(n+1) values, which is all uniqueness needs.
template RoundShift(MULT, SHIFT, Q_LO, Q_BITS) {
    signal input x;
    signal output q;
    signal r;
    var scale = 1 << SHIFT;
    var p = x * MULT + (1 << (SHIFT - 1));
    // Hint: shift p to a non-negative integer before the integer division.
    var shifted = p - Q_LO * scale;
    q <-- (shifted \ scale) + Q_LO;
    r <-- shifted % scale;
    p === q * scale + r;
    component rRange = InRange(SHIFT);
    rRange.in <== r;
    if (Q_BITS > 0) {
        component qRange = InRange(Q_BITS);
        qRange.in <== q - Q_LO;
    }
}

// y = clamp(t, LO, HI) where t may leave the range on both sides.
// CMP_BITS: |t - LO| < 2^CMP_BITS and |t - HI| < 2^CMP_BITS for every honest t.
template ClampBoth(LO, HI, CMP_BITS) {
    signal input t;
    signal output y;
    component below = LessThan(CMP_BITS);
    below.in[0] <== t;
    below.in[1] <== LO;
    component above = LessThan(CMP_BITS);
    above.in[0] <== HI;
    above.in[1] <== t;
    signal a <== below.out * (LO - t);
    signal b <== above.out * (HI - t);
    y <== t + a + b;
}

// y = max(t, LO) (t never exceeds the upper bound).
template ClampLow(LO, CMP_BITS) {
    signal input t;
    signal output y;
    component below = LessThan(CMP_BITS);
    below.in[0] <== t;
    below.in[1] <== LO;
    signal a <== below.out * (LO - t);
    y <== t + a;
}

// y = min(t, HI) (t never goes below the lower bound).
template ClampHigh(HI, CMP_BITS) {
    signal input t;
    signal output y;
    component above = LessThan(CMP_BITS);
    above.in[0] <== HI;
    above.in[1] <== t;
    signal b <== above.out * (HI - t);
    y <== t + b;
}

// y = max(x, 0) where x may be negative or positive. CMP_BITS: |x| < 2^CMP_BITS.
template Relu(CMP_BITS) {
    signal input x;
    signal output y;
    component neg = LessThan(CMP_BITS);
    neg.in[0] <== x;
    neg.in[1] <== 0;
    signal nx <== neg.out * x;
    y <== x - nx;
}

// out = max(in[0..K-1]). BITS: max - min of the window's static range fits BITS bits.
// SAFETY: every out - in[j] is in [0, 2^BITS) (so out >= all) and their product is 0 in the
// field (so out equals one of them: a field has no zero divisors).
template MaxOf(K, BITS) {
    signal input in[K];
    signal output out;
    var best = in[0];
    for (var j = 1; j < K; j++) {
        best = in[j] > best ? in[j] : best; // circom compares signed representatives: right for negatives
    }
    out <-- best;
    component ge[K];
    signal prod[K];
    for (var j = 0; j < K; j++) {
        ge[j] = InRange(BITS);
        ge[j].in <== out - in[j];
        if (j == 0) {
            prod[j] <== out - in[j];
        } else {
            prod[j] <== prod[j - 1] * (out - in[j]);
        }
    }
    prod[K - 1] === 0;
}

// out = index of the first maximum of in[0..N-1].
// BITS: (max - min of the static range) + 1 fits BITS bits.
// SAFETY: s is one-hot (binary, sums to 1), m = in[idx]; for every i, m - in[i] - before_i is in
// [0, 2^BITS), where before_i = 1 when i < idx: so m is a maximum and no earlier element reaches it.
template ArgMax(N, BITS) {
    signal input in[N];
    signal output out;
    signal s[N];
    var best = 0;
    for (var i = 1; i < N; i++) {
        best = in[i] > in[best] ? i : best;
    }
    var total = 0;
    var index = 0;
    for (var i = 0; i < N; i++) {
        s[i] <-- i == best ? 1 : 0;
        s[i] * (s[i] - 1) === 0;
        total += s[i];
        index += i * s[i];
    }
    total === 1;
    signal picked[N];
    var m = 0;
    for (var i = 0; i < N; i++) {
        picked[i] <== s[i] * in[i];
        m += picked[i];
    }
    component ok[N];
    var after = 0; // sum of s[j] for j > i, built from the end
    for (var k = 0; k < N; k++) {
        var i = N - 1 - k;
        ok[i] = InRange(BITS);
        ok[i].in <== m - in[i] - after;
        after += s[i];
    }
    out <== index;
}

// q = floor((sum + floor(N_WIN/2)) / N_WIN): the average of a window, rounded half up.
// Q_LO, Q_BITS: static range of q. R_BITS: 2^R_BITS >= N_WIN.
template DivRound(N_WIN, Q_LO, Q_BITS, R_BITS) {
    signal input sum;
    signal output q;
    signal r;
    var p = sum + (N_WIN \ 2);
    var shifted = p - Q_LO * N_WIN;
    q <-- (shifted \ N_WIN) + Q_LO;
    r <-- shifted % N_WIN;
    p === q * N_WIN + r;
    component rRange = InRange(R_BITS);
    rRange.in <== r;
    component rBelow = LessThan(R_BITS);
    rBelow.in[0] <== r;
    rBelow.in[1] <== N_WIN;
    rBelow.out === 1;
    component qRange = InRange(Q_BITS);
    qRange.in <== q - Q_LO;
}

// Poseidon commitment of a tensor, as libs/commitments computes it (docs/commitments.md).
// N values of BITS-bit lanes (lane = value - MIN), dtype code CODE. CHECK = 1 range-checks every
// lane (needed unless the values are already constrained to the dtype by earlier constraints).
template TensorCommit(N, BITS, MIN, CODE, CHECK) {
    signal input in[N];
    signal input salt;
    signal output out;
    var LANES = 253 \ BITS;
    var WORDS = (N + LANES - 1) \ LANES;
    var FULL = WORDS \ 15;
    var REST = WORDS % 15;

    component lanes[N];
    if (CHECK == 1) {
        for (var j = 0; j < N; j++) {
            lanes[j] = InRange(BITS);
            lanes[j].in <== in[j] - MIN;
        }
    }
    var word[WORDS];
    for (var w = 0; w < WORDS; w++) {
        word[w] = 0;
        var unit = 1;
        for (var k = 0; k < LANES && w * LANES + k < N; k++) {
            word[w] += (in[w * LANES + k] - MIN) * unit;
            unit = unit * (1 << BITS);
        }
    }
    component head = Poseidon(2);
    head.inputs[0] <== N + CODE * (1 << 32);
    head.inputs[1] <== salt;
    component full[FULL];
    var state = head.out;
    for (var c = 0; c < FULL; c++) {
        full[c] = Poseidon(16);
        full[c].inputs[0] <== state;
        for (var k = 0; k < 15; k++) {
            full[c].inputs[1 + k] <== word[c * 15 + k];
        }
        state = full[c].out;
    }
    if (REST > 0) {
        component last = Poseidon(REST + 1);
        last.inputs[0] <== state;
        for (var k = 0; k < REST; k++) {
            last.inputs[1 + k] <== word[FULL * 15 + k];
        }
        state = last.out;
    }
    out <== state;
}
