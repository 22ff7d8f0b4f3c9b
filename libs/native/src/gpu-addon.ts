import type { NativeExecution, NativeModelHandle } from './kernels-addon';

/** Where NativeGpu.open looks for an adapter. */
export type NativeGpuBackends = 'vulkan' | 'metal' | 'dx12' | 'gl' | 'all';

export interface NativeGpuOptions {
  /** Default all. */
  backends?: NativeGpuBackends;
  /** The most inputs one `run`/`execute` call takes (buffers are sized for it). */
  maxBatch?: number;
  /** Invocations per workgroup (default 64, within the adapter's limits); no result depends on it. */
  workgroup?: number;
}

/** The adapter's limits the kernels depend on (wgpu's names). */
export interface NativeGpuLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupsPerDimension: number;
  maxComputeInvocationsPerWorkgroup: number;
}

/** The adapter a NativeGpu runs on, for boot logs, /health and metrics. */
export interface NativeGpuInfo {
  name: string;
  /** vulkan, metal, dx12, gl. */
  backend: string;
  /** DiscreteGpu, IntegratedGpu, VirtualGpu, Cpu (lavapipe), Other. */
  deviceType: string;
  driver: string;
  driverInfo: string;
  limits: NativeGpuLimits;
}

/**
 * A model's weights on the device. Results are the same whatever the batch (batch invariance).
 * Errors: those of NativeModel.run (INVALID_INPUT, KERNEL_MODEL), GPU_LOST once the device is gone.
 */
export interface NativeGpuModelHandle {
  /** One trace per input (input first, as NativeModel.run). */
  run(inputs: Int32Array[]): Int32Array[][];
  /**
   * Runs the batch on the GPU and commits each trace on the CPU: one NativeExecution per input,
   * each bit for bit what NativeModel.execute(input, salt) gives.
   */
  execute(inputs: Int32Array[], salts: (Buffer | null)[]): NativeExecution[];
}

/**
 * One GPU device (native/crates/gpu through native/crates/node/src/gpu.rs). Errors: GPU_UNAVAILABLE
 * (no adapter or device), GPU_LIMIT (the adapter lacks a limit the kernels need; the message names
 * it), GPU_UNSUPPORTED (a model's layer cannot run exactly here: run it on the CPU), GPU_LOST.
 */
export interface NativeGpuHandle {
  info(): NativeGpuInfo;
  /** Uploads a model's weights once. */
  load(model: NativeModelHandle): NativeGpuModelHandle;
  /** True once the device is lost or destroyed; every later call throws GPU_LOST. */
  lost(): boolean;
  /** Closes the device (also how specs simulate its loss). */
  destroy(): void;
}

/** The GPU functions of the native addon; absent from an addon built before them. */
export interface GpuAddon {
  NativeGpu?: { open(options?: NativeGpuOptions): NativeGpuHandle };
}
