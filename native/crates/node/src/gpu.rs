//! Binding of verilay-gpu: `NativeGpu.open()` once per process, `gpu.load(nativeModel)` once per
//! model, then batches of runs. A batch crosses once; its traces are committed on rayon's pool as
//! `NativeModel.execute` commits them, so a GPU execution is bit for bit a CPU one.
#![cfg_attr(test, allow(dead_code))]

use napi::bindgen_prelude::{Buffer, Int32Array};
use napi::{Env, JsTypedArray};
use verilay_gpu::{Gpu, GpuError, GpuModel, GpuOptions};

use crate::error::{coded, guard};
use crate::kernels::{commit_execution, map_error, salt_of, trace, NativeExecution, NativeModel};

fn gpu_error(error: GpuError) -> napi::Error {
    let error = match error {
        GpuError::Kernel(e) => return map_error(e),
        other => other,
    };
    let code = match &error {
        GpuError::Kernel(_) => unreachable!("mapped above"),
        GpuError::Unavailable(_) => "GPU_UNAVAILABLE",
        GpuError::Limit(_) => "GPU_LIMIT",
        GpuError::Unsupported(_) => "GPU_UNSUPPORTED",
        GpuError::Lost(_) => "GPU_LOST",
        GpuError::Device(_) => "GPU_DEVICE",
        GpuError::TokenOutsideVocabulary => "KERNEL_MODEL",
    };
    coded(code, error)
}

#[napi(object)]
pub struct NativeGpuOptions {
    /// "vulkan", "metal", "dx12", "gl" or "all" (default).
    pub backends: Option<String>,
    /// Most tasks per submission (default 64).
    pub max_batch: Option<u32>,
    /// Invocations per workgroup (default 64); no result depends on it.
    pub workgroup: Option<u32>,
}

#[napi(object)]
pub struct NativeGpuLimits {
    pub max_storage_buffer_binding_size: f64,
    pub max_buffer_size: f64,
    pub max_compute_workgroups_per_dimension: u32,
    pub max_compute_invocations_per_workgroup: u32,
}

#[napi(object)]
pub struct NativeGpuInfo {
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
    pub driver_info: String,
    pub limits: NativeGpuLimits,
}

/// An opened GPU adapter and device.
#[napi]
pub struct NativeGpu {
    gpu: Gpu,
}

#[napi]
impl NativeGpu {
    /// Opens the first adapter (high-performance preference) and compiles the kernels.
    #[napi(factory)]
    pub fn open(options: Option<NativeGpuOptions>) -> napi::Result<Self> {
        guard(|| {
            let options =
                options.unwrap_or(NativeGpuOptions { backends: None, max_batch: None, workgroup: None });
            let options = GpuOptions {
                backends: options.backends,
                max_batch: options.max_batch.map(|b| b as usize),
                workgroup: options.workgroup,
            };
            Ok(Self { gpu: Gpu::open(&options).map_err(gpu_error)? })
        })
    }

    #[napi]
    pub fn info(&self) -> NativeGpuInfo {
        let i = self.gpu.info();
        NativeGpuInfo {
            name: i.name.clone(),
            backend: i.backend.clone(),
            device_type: i.device_type.clone(),
            driver: i.driver.clone(),
            driver_info: i.driver_info.clone(),
            limits: NativeGpuLimits {
                max_storage_buffer_binding_size: i.max_storage_buffer_binding_size as f64,
                max_buffer_size: i.max_buffer_size as f64,
                max_compute_workgroups_per_dimension: i.max_compute_workgroups_per_dimension,
                max_compute_invocations_per_workgroup: i.max_compute_invocations_per_workgroup,
            },
        }
    }

    /// Uploads a model's constants; `[GPU_UNSUPPORTED]` names what cannot run exactly here.
    #[napi]
    pub fn load(&self, model: &NativeModel) -> napi::Result<NativeGpuModel> {
        guard(|| Ok(NativeGpuModel { model: self.gpu.load(model.model.clone()).map_err(gpu_error)? }))
    }

    #[napi]
    pub fn lost(&self) -> bool {
        self.gpu.lost()
    }

    /// Destroys the device: every later call fails with `[GPU_LOST]`.
    #[napi]
    pub fn destroy(&self) {
        self.gpu.destroy()
    }
}

/// A model on the GPU.
#[napi]
pub struct NativeGpuModel {
    model: GpuModel,
}

impl NativeGpuModel {
    /// The traces of a batch. A token id outside an embedding's vocabulary (one flag for the
    /// batch) voids all of the GPU's results; the CPU kernels then run the batch and give the
    /// first input's error (the executor then replays each job on the CPU, each with its own).
    fn traces(&self, inputs: &[Int32Array]) -> napi::Result<Vec<Vec<Vec<i32>>>> {
        let inputs: Vec<&[i32]> = inputs.iter().map(|x| x.as_ref()).collect();
        match self.model.run(&inputs) {
            Err(GpuError::TokenOutsideVocabulary) => {
                inputs.iter().map(|x| self.model.model().run(x).map_err(map_error)).collect()
            }
            other => other.map_err(gpu_error),
        }
    }
}

#[napi]
impl NativeGpuModel {
    /// Tasks one submission runs together.
    #[napi(getter)]
    pub fn chunk(&self) -> u32 {
        self.model.chunk() as u32
    }

    /// One trace per input (input first, as `NativeModel.run`).
    #[napi]
    pub fn run(&self, env: Env, inputs: Vec<Int32Array>) -> napi::Result<Vec<Vec<JsTypedArray>>> {
        guard(|| self.traces(&inputs)?.into_iter().map(|t| trace(&env, Ok(t))).collect())
    }

    /// Runs a batch on the GPU and commits each trace (`salts[i]`: 32 big-endian bytes or null):
    /// each result is what `NativeModel.execute(inputs[i], salts[i])` gives.
    #[napi]
    pub fn execute(
        &self,
        inputs: Vec<Int32Array>,
        salts: Vec<Option<Buffer>>,
    ) -> napi::Result<Vec<NativeExecution>> {
        guard(|| {
            if salts.len() != inputs.len() {
                return Err(coded(
                    "INVALID_INPUT",
                    format!("{} inputs but {} salts", inputs.len(), salts.len()),
                ));
            }
            let salts = salts.into_iter().map(salt_of).collect::<napi::Result<Vec<_>>>()?;
            let model = self.model.model();
            self.traces(&inputs)?
                .into_iter()
                .zip(salts)
                .map(|(trace, salt)| commit_execution(model, trace, salt))
                .collect()
        })
    }
}
