// What the float model's intermediate tensors reach on calibration text: the activation scales
// `quantizeLlama` sets come from here.
import { llamaForward } from './float-llama';
import type { FloatLlama } from './llama-gguf';
import { MagnitudeHistogram } from './silu-gate';

export interface Range {
  min: number;
  max: number;
}

export interface LlamaCalibration {
  /** Range of every intermediate tensor (llamaForward's names) over every position. */
  readonly ranges: ReadonlyMap<string, Range>;
  /**
   * The same over positions 1.. only. Position 0 of a window is LLaMA models' attention sink: its
   * residual stream carries "massive activations" (SmolLM2: one channel near 26,000 where the
   * other positions stay below ~700), which one int16 scale cannot hold next to the rest.
   */
  readonly tailRanges: ReadonlyMap<string, Range>;
  /** |x| of every SwiGLU gate pre-activation: what the SiLU fit is weighted by. */
  readonly gates: MagnitudeHistogram;
  readonly windows: number;
}

export function calibrateLlama(model: FloatLlama, windows: readonly (readonly number[])[]): LlamaCalibration {
  const ranges = new Map<string, Range>();
  const tailRanges = new Map<string, Range>();
  const gates = new MagnitudeHistogram(1 / 64, 64);
  const widen = (map: Map<string, Range>, name: string, values: Float64Array, from: number) => {
    const r = map.get(name) ?? { min: Infinity, max: -Infinity };
    for (let i = from; i < values.length; i++) {
      if (values[i] < r.min) r.min = values[i];
      if (values[i] > r.max) r.max = values[i];
    }
    map.set(name, r);
  };
  for (const w of windows)
    llamaForward(model, w, (name, values) => {
      widen(ranges, name, values, 0);
      if (!name.endsWith('scores')) widen(tailRanges, name, values, values.length / w.length);
      if (name.endsWith('.gate')) gates.add(values);
    });
  return { ranges, tailRanges, gates, windows: windows.length };
}
