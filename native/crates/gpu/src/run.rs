//! A model on the GPU: its constants uploaded once, then batches of tasks, each giving the trace
//! the CPU kernels give.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use verilay_kernels::Model;

use crate::device::{Gpu, Inner};
use crate::plan::{step, Kernel, Step};
use crate::GpuError;

/// A layer's dispatch with its constants on the GPU.
struct Uploaded {
    entry: &'static str,
    params: wgpu::Buffer,
    weights: Option<wgpu::Buffer>,
    aux: Option<wgpu::Buffer>,
    operand: Option<usize>,
    per: u32,
}

enum Planned {
    Alias(usize),
    Dispatch(Uploaded),
}

/// A model loaded on a `Gpu`.
pub struct GpuModel {
    gpu: Arc<Inner>,
    model: Arc<Model>,
    steps: Vec<Planned>,
    /// Tasks per chunk: the batch a run submits at once.
    chunk: usize,
    workspaces: Mutex<Vec<Workspace>>,
}

/// Most bytes of trace one chunk holds on the GPU (and again in its read-back buffers).
const CHUNK_TRACE_BYTES: u64 = 1 << 30;

fn storage(inner: &Inner, label: &str, bytes: &[u8]) -> wgpu::Buffer {
    let buffer = inner.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: (bytes.len() as u64).max(16).next_multiple_of(4),
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    inner.queue.write_buffer(&buffer, 0, bytes);
    buffer
}

fn words<T: Copy>(values: &[T], to: impl Fn(T) -> [u8; 4]) -> Vec<u8> {
    values.iter().flat_map(|v| to(*v)).collect()
}

impl Gpu {
    /// Plans every layer and uploads its constants. `GpuError::Unsupported` names the first
    /// layer the shaders cannot compute exactly or the adapter cannot hold.
    pub fn load(&self, model: Arc<Model>) -> Result<GpuModel, GpuError> {
        let inner = &self.inner;
        inner.check_lost()?;
        // The shaders index with u32: no binding may reach 4 GiB, whatever the adapter allows.
        let binding = inner.info.max_storage_buffer_binding_size.min((1 << 32) - 4);
        let too_big = |what: &str, bytes: u64| {
            GpuError::Unsupported(format!(
                "{what} of {bytes} bytes is over the adapter's maxStorageBufferBindingSize ({binding})"
            ))
        };
        let errors = inner.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let mut steps = Vec::with_capacity(model.layers().len());
        for i in 0..model.layers().len() {
            let planned = match step(&model, i)
                .map_err(|p| GpuError::Unsupported(format!("layers[{i}]: {p}")))?
            {
                Step::Alias(j) => Planned::Alias(j),
                Step::Dispatch(Kernel { entry, params, weights, aux, operand }) => {
                    for (what, bytes) in [("weights", weights.len()), ("constants", aux.len())] {
                        if bytes as u64 * 4 > binding {
                            return Err(too_big(&format!("layers[{i}] {what}"), bytes as u64 * 4));
                        }
                    }
                    let upload = |label: &str, bytes: Vec<u8>| storage(inner, label, &bytes);
                    Planned::Dispatch(Uploaded {
                        entry,
                        per: params[3],
                        params: upload("params", words(&params, u32::to_le_bytes)),
                        weights: (!weights.is_empty())
                            .then(|| upload("weights", words(&weights, u32::to_le_bytes))),
                        aux: (!aux.is_empty()).then(|| upload("constants", words(&aux, i32::to_le_bytes))),
                        operand,
                    })
                }
            };
            steps.push(planned);
        }
        if let Some(error) = pollster::block_on(errors.pop()) {
            return Err(GpuError::Unsupported(format!("the model's constants do not fit: {error}")));
        }
        let largest =
            model.shapes().iter().map(|s| s.iter().product::<usize>() as u64 * 4).max().unwrap_or(4);
        if largest > binding {
            return Err(too_big("a trace tensor", largest));
        }
        let trace_bytes: u64 = model.shapes().iter().map(|s| s.iter().product::<usize>() as u64 * 4).sum();
        // Every tensor of a chunk within a binding, its trace within CHUNK_TRACE_BYTES and within
        // one read-back buffer.
        let chunk = (binding / largest)
            .min(CHUNK_TRACE_BYTES / trace_bytes.max(1))
            .min(inner.info.max_buffer_size / (trace_bytes + 16))
            .max(1) as usize;
        let workspaces = Mutex::new(Vec::new());
        Ok(GpuModel { gpu: self.inner.clone(), model, steps, chunk: chunk.min(inner.max_batch), workspaces })
    }
}

impl GpuModel {
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Tasks one submission runs together (larger batches run in chunks of this many).
    pub fn chunk(&self) -> usize {
        self.chunk
    }

    /// One trace per input (trace[0] the input, then each layer's output), checked as the CPU
    /// kernels check it (the same errors).
    pub fn run<T: Copy + Into<f64>>(&self, inputs: &[&[T]]) -> Result<Vec<Vec<Vec<i32>>>, GpuError> {
        let checked = inputs.iter().map(|x| self.model.check_input(x)).collect::<Result<Vec<_>, _>>()?;
        let mut traces = Vec::with_capacity(inputs.len());
        for chunk in checked.chunks(self.chunk) {
            traces.extend(self.run_chunk(chunk)?);
        }
        Ok(traces)
    }

    /// The buffers and bind groups of a chunk of `batch` tasks (kept for the next chunk of that
    /// size when small: building them is most of a small model's run).
    fn workspace(&self, batch: usize) -> Workspace {
        let gpu = &self.gpu;
        let device = &gpu.device;
        let sizes: Vec<u64> =
            self.model.shapes().iter().map(|s| s.iter().product::<usize>() as u64 * 4).collect();
        let buffer = |label: &str, bytes: u64, usage: wgpu::BufferUsages| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: bytes.max(16).next_multiple_of(4),
                usage,
                mapped_at_creation: false,
            })
        };
        use wgpu::BufferUsages as U;
        let b = batch as u64;
        let mut trace = vec![buffer("input", b * sizes[0], U::STORAGE | U::COPY_DST)];
        // owner[t]: the trace tensor whose buffer trace tensor t is (itself unless an alias).
        let mut owner: Vec<usize> = vec![0];
        let run = buffer("run", 16, U::UNIFORM | U::COPY_DST);
        let flag = buffer("flag", 16, U::STORAGE | U::COPY_SRC | U::COPY_DST);
        let mut dispatches = Vec::new();
        for (i, planned) in self.steps.iter().enumerate() {
            let layer = match planned {
                Planned::Alias(j) => {
                    trace.push(trace[*j].clone());
                    owner.push(owner[*j]);
                    continue;
                }
                Planned::Dispatch(layer) => layer,
            };
            let y = buffer("trace", b * sizes[i + 1], U::STORAGE | U::COPY_SRC);
            let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: None,
                layout: &gpu.layout,
                entries: &[
                    bind(0, &layer.params),
                    bind(1, &trace[i]),
                    bind(2, layer.operand.map_or(&gpu.dummy, |j| &trace[j])),
                    bind(3, layer.weights.as_ref().unwrap_or(&gpu.dummy)),
                    bind(4, layer.aux.as_ref().unwrap_or(&gpu.dummy)),
                    bind(5, &y),
                    bind(6, &run),
                    bind(7, &flag),
                ],
            });
            let groups = (b * layer.per as u64).div_ceil(gpu.workgroup as u64);
            let x = groups.clamp(1, gpu.info.max_compute_workgroups_per_dimension as u64);
            dispatches.push((layer.entry, group, [x as u32, groups.div_ceil(x).max(1) as u32]));
            trace.push(y);
            owner.push(i + 1);
        }
        // One read-back buffer: each layer's buffer once (an alias is its owner's values; the
        // input is here already), then the flag.
        let mut reads = Vec::new();
        let mut at = 0u64;
        for t in 1..trace.len() {
            if owner[t] == t {
                reads.push((t, at, b * sizes[t]));
                at += b * sizes[t];
            }
        }
        let staging = buffer("read", at + 16, U::MAP_READ | U::COPY_DST);
        Workspace { batch, trace, owner, run, flag, dispatches, reads, flag_at: at, staging, bytes: at }
    }

    fn run_chunk(&self, inputs: &[Vec<i32>]) -> Result<Vec<Vec<Vec<i32>>>, GpuError> {
        let gpu = &self.gpu;
        gpu.check_lost()?;
        let batch = inputs.len();
        let device = &gpu.device;
        let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let memory = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let internal = device.push_error_scope(wgpu::ErrorFilter::Internal);
        let kept = self.workspaces.lock().ok().and_then(|mut w| {
            let i = w.iter().position(|k| k.batch == batch)?;
            Some(w.swap_remove(i))
        });
        let ws = kept.unwrap_or_else(|| self.workspace(batch));
        let input: Vec<u8> = inputs.iter().flat_map(|x| words(x, i32::to_le_bytes)).collect();
        gpu.queue.write_buffer(&ws.trace[0], 0, &input);
        gpu.queue.write_buffer(&ws.run, 0, &words(&[batch as u32, 0, 0, 0], u32::to_le_bytes));
        gpu.queue.write_buffer(&ws.flag, 0, &[0u8; 16]);
        let mut encoder = device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            for (entry, group, [x, y]) in &ws.dispatches {
                pass.set_pipeline(gpu.pipeline(entry));
                pass.set_bind_group(0, group, &[]);
                pass.dispatch_workgroups(*x, *y, 1);
            }
        }
        for &(t, at, bytes) in &ws.reads {
            if bytes > 0 {
                encoder.copy_buffer_to_buffer(&ws.trace[t], 0, &ws.staging, at, bytes);
            }
        }
        encoder.copy_buffer_to_buffer(&ws.flag, 0, &ws.staging, ws.flag_at, 16);
        gpu.queue.submit([encoder.finish()]);
        let (sent, received) = mpsc::channel();
        ws.staging.map_async(wgpu::MapMode::Read, .., move |r| {
            let _ = sent.send(r);
        });
        let polled = device.poll(wgpu::PollType::wait_indefinitely());
        let internal = pollster::block_on(internal.pop());
        let memory = pollster::block_on(memory.pop());
        let validation = pollster::block_on(validation.pop());
        gpu.check_lost()?;
        if let Some(error) = internal.or(memory).or(validation) {
            return Err(GpuError::Device(error.to_string()));
        }
        polled.map_err(|e| GpuError::Device(e.to_string()))?;
        received
            .recv()
            .map_err(|_| GpuError::Device("read-back never mapped".into()))?
            .map_err(|e| GpuError::Device(format!("read-back: {e}")))?;
        let all = read_i32(&ws.staging, (ws.flag_at / 4) as usize + 1);
        if all[(ws.flag_at / 4) as usize] != 0 {
            return Err(GpuError::TokenOutsideVocabulary);
        }
        let sizes: Vec<usize> = self.model.shapes().iter().map(|s| s.iter().product()).collect();
        let mut offsets: Vec<usize> = vec![usize::MAX; ws.trace.len()];
        for &(t, at, _) in &ws.reads {
            offsets[t] = (at / 4) as usize;
        }
        let traces = (0..batch)
            .map(|b| {
                let mut trace = vec![inputs[b].clone()];
                for t in 1..ws.trace.len() {
                    let at = offsets[ws.owner[t]];
                    let tensor = if at == usize::MAX {
                        inputs[b].clone() // an alias of the input
                    } else {
                        all[at + b * sizes[t]..at + (b + 1) * sizes[t]].to_vec()
                    };
                    trace.push(tensor);
                }
                trace
            })
            .collect();
        if ws.bytes <= KEEP_WORKSPACE_BYTES {
            if let Ok(mut w) = self.workspaces.lock() {
                w.truncate(KEEP_WORKSPACES - 1);
                w.insert(0, ws);
            }
        }
        Ok(traces)
    }
}

/// A chunk's buffers, bind groups and read-back layout.
struct Workspace {
    batch: usize,
    trace: Vec<wgpu::Buffer>,
    owner: Vec<usize>,
    run: wgpu::Buffer,
    flag: wgpu::Buffer,
    dispatches: Vec<(&'static str, wgpu::BindGroup, [u32; 2])>,
    /// (trace tensor, byte offset in `staging`, bytes) for each layer's own buffer.
    reads: Vec<(usize, u64, u64)>,
    flag_at: u64,
    staging: wgpu::Buffer,
    bytes: u64,
}

/// Workspaces kept per model (by batch size), and the largest kept (read-back bytes).
const KEEP_WORKSPACES: usize = 2;
const KEEP_WORKSPACE_BYTES: u64 = 64 << 20;

fn bind(binding: u32, buffer: &wgpu::Buffer) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry { binding, resource: buffer.as_entire_binding() }
}

fn read_i32(buffer: &wgpu::Buffer, n: usize) -> Vec<i32> {
    let view = buffer.get_mapped_range(..).expect("a mapped read-back buffer");
    let values =
        view[..n * 4].chunks_exact(4).map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    drop(view);
    buffer.unmap();
    values
}
