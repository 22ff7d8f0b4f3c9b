//! The adapter, the device and the compiled kernels, opened once per process.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::GpuError;

/// Which adapter to open.
#[derive(Clone, Debug, Default)]
pub struct GpuOptions {
    /// "vulkan", "metal", "dx12", "gl" or "all" (default: every native backend).
    pub backends: Option<String>,
    /// Most tasks in one batch (default 64); larger batches run in chunks.
    pub max_batch: Option<usize>,
    /// Invocations per workgroup (default 64), within the adapter's limits. No result depends on
    /// it: tests open the device with several.
    pub workgroup: Option<u32>,
}

/// The adapter a `Gpu` runs on, as health checks and metrics report it.
#[derive(Clone, Debug)]
pub struct GpuInfo {
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
    pub driver_info: String,
    pub max_storage_buffer_binding_size: u64,
    pub max_buffer_size: u64,
    pub max_compute_workgroups_per_dimension: u32,
    pub max_compute_invocations_per_workgroup: u32,
}

/// The storage buffers one kernel binds (P, X, S, W, A, Y, F).
const STORAGE_BINDINGS: u32 = 7;
/// Invocations per workgroup by default (`WG` in the shaders).
const WORKGROUP: u32 = 64;

/// The kernels' entry points (shaders/kernels.wgsl).
pub(crate) const ENTRIES: [&str; 17] = [
    "dense",
    "conv2d",
    "requantize",
    "relu",
    "maxpool",
    "avgpool",
    "argmax",
    "embedding",
    "matmul",
    "binary",
    "rmsnorm",
    "layernorm",
    "rope",
    "softmax",
    "poly_gate",
    "split_heads",
    "merge_heads",
];

pub(crate) struct Inner {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub layout: wgpu::BindGroupLayout,
    pub pipelines: Vec<wgpu::ComputePipeline>,
    /// Bound where a kernel reads nothing (S, W, A).
    pub dummy: wgpu::Buffer,
    pub info: GpuInfo,
    pub max_batch: usize,
    /// Invocations per workgroup (`WG` in the shaders).
    pub workgroup: u32,
    pub lost: Arc<AtomicBool>,
    pub lost_reason: Arc<Mutex<String>>,
}

impl Inner {
    pub fn pipeline(&self, entry: &str) -> &wgpu::ComputePipeline {
        let i = ENTRIES.iter().position(|e| *e == entry).expect("a kernel entry point");
        &self.pipelines[i]
    }
    pub fn check_lost(&self) -> Result<(), GpuError> {
        if self.lost.load(Ordering::SeqCst) {
            return Err(GpuError::Lost(self.lost_reason.lock().map(|r| r.clone()).unwrap_or_default()));
        }
        Ok(())
    }
}

/// An opened GPU: cheap to clone (one device behind it).
#[derive(Clone)]
pub struct Gpu {
    pub(crate) inner: Arc<Inner>,
}

fn backends(name: Option<&str>) -> Result<wgpu::Backends, GpuError> {
    Ok(match name.unwrap_or("all") {
        "all" => wgpu::Backends::PRIMARY,
        "vulkan" => wgpu::Backends::VULKAN,
        "metal" => wgpu::Backends::METAL,
        "dx12" => wgpu::Backends::DX12,
        "gl" => wgpu::Backends::GL,
        other => {
            return Err(GpuError::Unavailable(format!(
                "backends \"{other}\": expected vulkan, metal, dx12, gl or all"
            )))
        }
    })
}

/// The limits the kernels need beyond WebGPU's defaults, checked by name.
fn check_limits(limits: &wgpu::Limits, workgroup: u32) -> Result<(), GpuError> {
    if workgroup == 0 {
        return Err(GpuError::Limit("a workgroup has at least one invocation".into()));
    }
    let needs = [
        ("maxStorageBuffersPerShaderStage", limits.max_storage_buffers_per_shader_stage, STORAGE_BINDINGS),
        ("maxComputeInvocationsPerWorkgroup", limits.max_compute_invocations_per_workgroup, workgroup),
        ("maxComputeWorkgroupSizeX", limits.max_compute_workgroup_size_x, workgroup),
        ("maxBindGroups", limits.max_bind_groups, 1),
        ("maxComputeWorkgroupsPerDimension", limits.max_compute_workgroups_per_dimension, 1024),
    ];
    for (name, has, needs) in needs {
        if has < needs {
            return Err(GpuError::Limit(format!("{name} is {has}, the kernels need {needs}")));
        }
    }
    if limits.max_storage_buffer_binding_size < 1 << 20 {
        return Err(GpuError::Limit(format!(
            "maxStorageBufferBindingSize is {}, the kernels need 1 MiB",
            limits.max_storage_buffer_binding_size
        )));
    }
    Ok(())
}

fn entry(binding: u32, ty: wgpu::BufferBindingType) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer { ty, has_dynamic_offset: false, min_binding_size: None },
        count: None,
    }
}

impl Gpu {
    /// Opens the first adapter of the backends (high-performance preference), with its own limits,
    /// and compiles every kernel.
    pub fn open(options: &GpuOptions) -> Result<Self, GpuError> {
        let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle();
        descriptor.backends = backends(options.backends.as_deref())?;
        let instance = wgpu::Instance::new(descriptor);
        let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
            apply_limit_buckets: false,
        }))
        .map_err(|e| GpuError::Unavailable(e.to_string()))?;
        let limits = adapter.limits();
        let workgroup = options.workgroup.unwrap_or(WORKGROUP);
        check_limits(&limits, workgroup)?;
        let a = adapter.get_info();
        let info = GpuInfo {
            name: a.name,
            backend: a.backend.to_string(),
            device_type: format!("{:?}", a.device_type),
            driver: a.driver,
            driver_info: a.driver_info,
            max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
            max_buffer_size: limits.max_buffer_size,
            max_compute_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
            max_compute_invocations_per_workgroup: limits.max_compute_invocations_per_workgroup,
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("verilay"),
            required_features: wgpu::Features::empty(),
            required_limits: limits,
            ..Default::default()
        }))
        .map_err(|e| GpuError::Unavailable(format!("{}: {e}", info.name)))?;
        let lost = Arc::new(AtomicBool::new(false));
        let lost_reason = Arc::new(Mutex::new(String::new()));
        {
            let (lost, lost_reason) = (lost.clone(), lost_reason.clone());
            device.set_device_lost_callback(move |reason, message| {
                if let Ok(mut r) = lost_reason.lock() {
                    *r = format!("{reason:?}: {message}");
                }
                lost.store(true, Ordering::SeqCst);
            });
        }
        let source =
            format!("{}\n{}", include_str!("shaders/wide.wgsl"), include_str!("shaders/kernels.wgsl"));
        let errors = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let internal = device.push_error_scope(wgpu::ErrorFilter::Internal);
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("verilay kernels"),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        });
        use wgpu::BufferBindingType::{Storage, Uniform};
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("verilay kernel"),
            entries: &[
                entry(0, Storage { read_only: true }),
                entry(1, Storage { read_only: true }),
                entry(2, Storage { read_only: true }),
                entry(3, Storage { read_only: true }),
                entry(4, Storage { read_only: true }),
                entry(5, Storage { read_only: false }),
                entry(6, Uniform),
                entry(7, Storage { read_only: false }),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("verilay kernel"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipelines = ENTRIES
            .iter()
            .map(|name| {
                device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(name),
                    layout: Some(&pipeline_layout),
                    module: &module,
                    entry_point: Some(name),
                    compilation_options: wgpu::PipelineCompilationOptions {
                        constants: &[("WG", f64::from(workgroup))],
                        ..Default::default()
                    },
                    cache: None,
                })
            })
            .collect();
        // (A driver that fails to compile a pipeline reports an internal error.)
        let internal = pollster::block_on(internal.pop());
        if let Some(error) = internal.or(pollster::block_on(errors.pop())) {
            return Err(GpuError::Unavailable(format!(
                "the kernels do not compile on {}: {error}",
                info.name
            )));
        }
        let dummy = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("verilay unused"),
            size: 16,
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        });
        let max_batch = options.max_batch.unwrap_or(64).max(1);
        let inner =
            Inner { device, queue, layout, pipelines, dummy, info, max_batch, workgroup, lost, lost_reason };
        Ok(Self { inner: Arc::new(inner) })
    }

    pub fn info(&self) -> &GpuInfo {
        &self.inner.info
    }

    /// Whether the device is lost (or destroyed): every later run fails with `GpuError::Lost`.
    pub fn lost(&self) -> bool {
        self.inner.lost.load(Ordering::SeqCst)
    }

    /// Destroys the device (closing it; tests use it to lose the device on purpose).
    pub fn destroy(&self) {
        if let Ok(mut r) = self.inner.lost_reason.lock() {
            *r = "destroyed".into();
        }
        self.inner.lost.store(true, Ordering::SeqCst);
        self.inner.device.destroy();
    }
}
