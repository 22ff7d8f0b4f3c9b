//! A model on the GPU: its constants uploaded once, then batches of tasks, each giving the trace
//! the CPU kernels give.

use std::sync::mpsc;
use std::sync::Arc;

use verilay_kernels::Model;

use crate::device::{Gpu, Inner, WORKGROUP};
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
        let binding = inner.info.max_storage_buffer_binding_size;
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
        let chunk = (binding / largest).min(CHUNK_TRACE_BYTES / trace_bytes.max(1)).max(1) as usize;
        Ok(GpuModel { gpu: self.inner.clone(), model, steps, chunk: chunk.min(inner.max_batch) })
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

    fn run_chunk(&self, inputs: &[Vec<i32>]) -> Result<Vec<Vec<Vec<i32>>>, GpuError> {
        let gpu = &self.gpu;
        gpu.check_lost()?;
        let batch = inputs.len();
        let sizes: Vec<usize> = self.model.shapes().iter().map(|s| s.iter().product()).collect();
        let device = &gpu.device;
        let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let memory = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let buffer = |label: &str, bytes: u64, usage: wgpu::BufferUsages| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: bytes.max(16).next_multiple_of(4),
                usage,
                mapped_at_creation: false,
            })
        };
        use wgpu::BufferUsages as U;
        let input: Vec<u8> = inputs.iter().flat_map(|x| words(x, i32::to_le_bytes)).collect();
        let mut trace: Vec<wgpu::Buffer> = vec![storage(gpu, "input", &input)];
        // owner[t]: the trace tensor whose buffer trace tensor t is (itself unless an alias).
        let mut owner: Vec<usize> = vec![0];
        let run = buffer("run", 16, U::UNIFORM | U::COPY_DST);
        gpu.queue.write_buffer(&run, 0, &words(&[batch as u32, 0, 0, 0], u32::to_le_bytes));
        let flag = buffer("flag", 16, U::STORAGE | U::COPY_SRC);
        let mut encoder = device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            for (i, planned) in self.steps.iter().enumerate() {
                let layer = match planned {
                    Planned::Alias(j) => {
                        trace.push(trace[*j].clone());
                        owner.push(owner[*j]);
                        continue;
                    }
                    Planned::Dispatch(layer) => layer,
                };
                let y = buffer("trace", (batch * sizes[i + 1] * 4) as u64, U::STORAGE | U::COPY_SRC);
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
                pass.set_pipeline(gpu.pipeline(layer.entry));
                pass.set_bind_group(0, &group, &[]);
                let groups = (batch as u64 * layer.per as u64).div_ceil(WORKGROUP as u64);
                let limit = gpu.info.max_compute_workgroups_per_dimension as u64;
                let x = groups.clamp(1, limit);
                pass.dispatch_workgroups(x as u32, groups.div_ceil(x).max(1) as u32, 1);
                trace.push(y);
                owner.push(i + 1);
            }
        }
        // Read back each layer's buffer once (an alias is its owner's values; the input is here).
        let mut reads: Vec<(usize, wgpu::Buffer)> = Vec::new();
        for (t, b) in trace.iter().enumerate().skip(1) {
            if owner[t] == t {
                let bytes = (batch * sizes[t] * 4) as u64;
                let staging = buffer("read", bytes, U::MAP_READ | U::COPY_DST);
                encoder.copy_buffer_to_buffer(b, 0, &staging, 0, bytes);
                reads.push((t, staging));
            }
        }
        let flag_read = buffer("flag read", 16, U::MAP_READ | U::COPY_DST);
        encoder.copy_buffer_to_buffer(&flag, 0, &flag_read, 0, 16);
        gpu.queue.submit([encoder.finish()]);
        let (sent, received) = mpsc::channel();
        for (k, staging) in reads.iter().map(|(_, s)| s).chain([&flag_read]).enumerate() {
            let sent = sent.clone();
            staging.map_async(wgpu::MapMode::Read, .., move |r| {
                let _ = sent.send((k, r));
            });
        }
        drop(sent);
        let polled = device.poll(wgpu::PollType::wait_indefinitely());
        let memory = pollster::block_on(memory.pop());
        let validation = pollster::block_on(validation.pop());
        gpu.check_lost()?;
        if let Some(error) = memory.or(validation) {
            return Err(GpuError::Device(error.to_string()));
        }
        polled.map_err(|e| GpuError::Device(e.to_string()))?;
        for (_, mapped) in received.iter() {
            mapped.map_err(|e| GpuError::Device(format!("read-back: {e}")))?;
        }
        if read_i32(&flag_read, 1)[0] != 0 {
            return Err(GpuError::TokenOutsideVocabulary);
        }
        let mut values: Vec<Option<Vec<i32>>> = vec![None; trace.len()];
        values[0] = Some(inputs.concat());
        for (t, staging) in &reads {
            values[*t] = Some(read_i32(staging, batch * sizes[*t]));
        }
        let traces = (0..batch)
            .map(|b| {
                (0..trace.len())
                    .map(|t| {
                        let all = values[owner[t]].as_ref().expect("every owner is read back");
                        all[b * sizes[t]..(b + 1) * sizes[t]].to_vec()
                    })
                    .collect()
            })
            .collect();
        Ok(traces)
    }
}

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
