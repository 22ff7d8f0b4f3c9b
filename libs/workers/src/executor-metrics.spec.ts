import { Registry } from 'prom-client';
import { ExecutorMetrics } from './executor-metrics';
import type { ExecutorDescription } from './replay-executor';

const limits = {
  maxStorageBufferBindingSize: 1,
  maxBufferSize: 1,
  maxComputeWorkgroupsPerDimension: 1,
  maxComputeInvocationsPerWorkgroup: 1,
};
const adapter = {
  name: 'llvmpipe',
  backend: 'vulkan',
  deviceType: 'Cpu',
  driver: 'd',
  driverInfo: 'i',
  limits,
};
const gpu = (counts: Partial<ExecutorDescription>): ExecutorDescription => ({
  kind: 'gpu',
  adapter,
  lost: false,
  batches: 0,
  jobs: 0,
  cpuFallbackJobs: 0,
  ...counts,
});

describe(ExecutorMetrics.name, () => {
  describe('update', () => {
    it('names each queue’s executor and adapter, and counts what the executors counted', async () => {
      const registry = new Registry();
      const sut = new ExecutorMetrics(registry);
      sut.update('checks', gpu({ batches: 2, jobs: 10 }));
      sut.update('disputes', { ...gpu({}), kind: 'cpu', adapter: undefined });
      sut.update('checks', gpu({ batches: 3, jobs: 12, cpuFallbackJobs: 4, lost: true }));
      const text = await registry.metrics();
      expect(text).toContain(
        'verilay_replay_executor_info{queue="checks",kind="gpu",adapter="llvmpipe",backend="vulkan",device_type="Cpu"} 1',
      );
      expect(text).toContain(
        'verilay_replay_executor_info{queue="disputes",kind="cpu",adapter="",backend="",device_type=""} 1',
      );
      expect(text).toContain('verilay_replay_gpu_batches_total{queue="checks"} 3');
      expect(text).toContain('verilay_replay_gpu_jobs_total{queue="checks"} 12');
      expect(text).toContain('verilay_replay_cpu_fallback_jobs_total{queue="checks"} 4');
      expect(text).toContain('verilay_replay_gpu_lost{queue="checks"} 1');
      expect(text).toContain('verilay_replay_gpu_lost{queue="disputes"} 0');
    });
  });
});
